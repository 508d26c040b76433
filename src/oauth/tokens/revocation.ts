// A revocation (or change notice) in the feed every node reads, and its repository.

/**
 * `client_changed`, `process_changed`, `webhooks_changed` and `keys_changed` revoke nothing: they tell every node that a client's, a process's or a workspace's webhooks'
 * settings or secret changed, so cached copies are dropped, or that the signing keys did, so they are read again.
 */
export type RevocationKind = 'jti' | 'authorization' | 'client' | 'user' | 'pat' | 'client_changed' | 'process_changed' | 'webhooks_changed' | 'keys_changed';

export interface Revocation {
  id: string;
  kind: RevocationKind;
  value: string;
  createdAt: string;
  /** When every token this entry refuses has expired anyway. */
  expiresAt: string;
}

export interface RevocationRepository {
  insert(revocation: Revocation): Promise<void>;
  /** Entries created at or after `since` that have not expired at `now`. */
  listSince(since: string, now: string): Promise<Revocation[]>;
  /**
   * At most `limit` entries live at `now`, after the entry `after` in (createdAt, id)
   * order (from the first when null): a node's start reads the feed page by page.
   */
  listLive(now: string, after: { createdAt: string; id: string } | null, limit: number): Promise<Revocation[]>;
  deleteExpired(now: string): Promise<number>;
}
