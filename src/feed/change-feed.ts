// The change feed: how every cache in the cluster hears that what it holds
// changed (a client's settings or secret, a process, a workspace's webhooks,
// the signing keys). A change is announced with the write that causes it (in
// its transaction), reaches the other PostgreSQL nodes by LISTEN/NOTIFY in
// milliseconds, and is caught up by a poll each second otherwise (a lost
// notification, a reconnect, the CLI). It travels with the revocations, in
// one table read by one module (oauth/tokens/revocation-list.ts); domain
// services see only this interface.
import type { Store } from '../store/store.ts';

export type ChangeKind = 'client_changed' | 'process_changed' | 'webhooks_changed' | 'keys_changed';

/** How long a notice stays in the feed: longer than any node's poll overlap. */
export const CHANGE_NOTICE_SECONDS = 60;

export interface ChangeFeed {
  /** Tells every node (this one at once) that `value` changed; written with `store`, so it lands with the change. */
  announce(kind: ChangeKind, value: string, store?: Store): Promise<void>;
  /** Calls `listener` for every change of `kind`, announced here or on any other node. */
  onChange(kind: ChangeKind, listener: (value: string) => void): void;
}
