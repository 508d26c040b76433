// Which access tokens are revoked, kept in memory so the bearer check needs no
// store query. A revocation is written to the store, applied here at once, and
// reaches other nodes (and the CLI's changes reach the server) by polling the
// store every second.
import type { Revocation, RevocationKind } from './revocation.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../ids.ts';

export interface RevocableToken {
  jti: string;
  sub: string;
  client_id: string;
  iat: number;
  /** The authorization (refresh-token family) the token came from. */
  gid?: string;
}

/** How long a `client_changed` notice stays in the feed: longer than any node's poll overlap. */
export const CHANGE_NOTICE_SECONDS = 60;

const POLL_MS = 1_000;
// Poll a little into the past, so an entry whose transaction committed late is not missed.
const POLL_OVERLAP_MS = 10_000;

export class RevocationList {
  readonly #store: Store;
  /** kind → value → when it was revoked (ms); a token issued before then is refused. */
  readonly #entries = new Map<RevocationKind, Map<string, number>>();
  readonly #seen = new Set<string>();
  readonly #listeners = new Map<RevocationKind, Array<(value: string) => void>>();
  #lastPoll = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  async start(): Promise<void> {
    await this.refresh(0);
    this.#timer = setInterval(() => void this.refresh().catch(() => {}), POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reads entries written since the last poll (by this node or any other). */
  async refresh(since = this.#lastPoll - POLL_OVERLAP_MS): Promise<void> {
    const now = Date.now();
    const entries = await this.#store.revocations.listSince(new Date(Math.max(0, since)).toISOString(), new Date(now).toISOString());
    for (const entry of entries) this.#apply(entry);
    this.#lastPoll = now;
    if (this.#seen.size > 100_000) this.#seen.clear();
  }

  /** Calls `listener` for every entry of `kind`, written here or polled from the store. */
  onEntry(kind: RevocationKind, listener: (value: string) => void): void {
    this.#listeners.set(kind, [...(this.#listeners.get(kind) ?? []), listener]);
  }

  #apply(entry: Revocation): void {
    if (this.#seen.has(entry.id)) return;
    this.#seen.add(entry.id);
    for (const listener of this.#listeners.get(entry.kind) ?? []) listener(entry.value);
    let byValue = this.#entries.get(entry.kind);
    if (!byValue) this.#entries.set(entry.kind, (byValue = new Map()));
    byValue.set(entry.value, Math.max(byValue.get(entry.value) ?? 0, Date.parse(entry.createdAt)));
  }

  /**
   * Records a revocation. `store` may be a transaction, so the entry lands
   * with the change that caused it; it is applied locally at once.
   */
  async revoke(kind: RevocationKind, value: string, lifetimeSeconds: number, store: Store = this.#store): Promise<void> {
    const now = Date.now();
    const entry: Revocation = {
      id: newId('rv-'),
      kind,
      value,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + lifetimeSeconds * 1000 + 60_000).toISOString(),
    };
    await store.revocations.insert(entry);
    this.#apply(entry);
  }

  #revokedAt(kind: RevocationKind, value: string | undefined): number | undefined {
    return value === undefined ? undefined : this.#entries.get(kind)?.get(value);
  }

  /** A PAT is refused once it is revoked, or its user was disabled after it was made. */
  isPatRevoked(tokenId: string, userId: string, createdAtMs: number): boolean {
    if (this.#revokedAt('pat', tokenId) !== undefined) return true;
    const userRevokedAt = this.#revokedAt('user', userId);
    return userRevokedAt !== undefined && createdAtMs <= userRevokedAt;
  }

  isRevoked(token: RevocableToken): boolean {
    if (this.#entries.size === 0) return false;
    if (this.#revokedAt('jti', token.jti) !== undefined) return true;
    if (this.#revokedAt('authorization', token.gid) !== undefined) return true;
    // Client- and user-wide entries refuse tokens issued up to the moment of revocation.
    const issuedMs = token.iat * 1000;
    for (const [kind, value] of [['client', token.client_id], ['user', token.sub]] as const) {
      const at = this.#revokedAt(kind, value);
      if (at !== undefined && issuedMs <= at) return true;
    }
    return false;
  }
}
