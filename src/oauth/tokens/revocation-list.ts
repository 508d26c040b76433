// Which access tokens are revoked, kept in memory so the bearer check needs no
// store query. A revocation is written to the store and applied here at once;
// once it commits, the other PostgreSQL nodes are told (NOTIFY) to read the
// store now, and every node also reads it each second, which catches a lost
// notification and the CLI's changes.
//
// Memory is bounded by what is live: an entry is forgotten once every token it
// refuses has expired (swept each minute), change notices are heard and never
// kept, ids seen are kept for two minutes only (the poll overlaps 10 s), and a
// start reads the feed a page at a time rather than in one result.
import type { Revocation, RevocationKind } from './revocation.ts';
import type { Store } from '../../store/store.ts';
import { newId } from '../../ids.ts';
import { CHANGE_NOTICE_SECONDS, type ChangeFeed, type ChangeKind } from '../../feed/change-feed.ts';

/** How nodes tell each other the feed has news: the run notifier (LISTEN/NOTIFY on PostgreSQL) fits. */
export interface NewsChannel {
  publish(signal: 'revocations'): void;
  on(signal: 'revocations', listener: () => void): void;
}

export interface RevocableToken {
  jti: string;
  sub: string;
  client_id: string;
  iat: number;
  /** The authorization (refresh-token family) the token came from. */
  gid?: string;
}


const POLL_MS = 1_000;
// Poll a little into the past, so an entry whose transaction committed late is not missed.
const POLL_OVERLAP_MS = 10_000;
const SWEEP_MS = 60_000;
const START_PAGE = 5_000;
/** Kinds that only tell listeners of a change: nothing to keep. */
const NOTICES: ReadonlySet<RevocationKind> = new Set(['client_changed', 'process_changed', 'webhooks_changed', 'keys_changed']);

/** Revocations, and the change feed that travels with them. */
export class RevocationList implements ChangeFeed {
  readonly #store: Store;
  /** kind → value → when it was revoked (ms); a token issued before then is refused. */
  readonly #entries = new Map<RevocationKind, Map<string, number>>();
  /** Entries by the minute they expire in, for the sweep: [kind, value, revokedAt]. */
  readonly #expiring = new Map<number, Array<[RevocationKind, string, number]>>();
  /** Ids applied lately, in two generations (this minute's and the last): a poll's overlap finds them again. */
  #seen = new Set<string>();
  #seenBefore = new Set<string>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  readonly #listeners = new Map<RevocationKind, Array<(value: string) => void>>();
  #lastPoll = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onLag: ((seconds: number) => void) | undefined;
  readonly #news: NewsChannel | undefined;

  /**
   * `news`: how nodes tell each other that the feed has news (PostgreSQL's
   * LISTEN/NOTIFY), so that a revocation reaches them in milliseconds; the
   * poll each second still catches what a lost notification or the CLI missed.
   * `onLag` hears, for each entry another node (or the CLI) wrote, how long it took to arrive here.
   */
  constructor(store: Store, options: { news?: NewsChannel; onLag?: (seconds: number) => void } = {}) {
    this.#store = store;
    this.#news = options.news;
    this.#onLag = options.onLag;
    this.#news?.on('revocations', () => this.#read());
  }

  /** Reads the feed now; calls that come while a read runs make one more read after it. */
  #read(): void {
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = this.refresh().catch(() => {}).finally(() => {
      this.#reading = undefined;
      if (this.#readAgain) {
        this.#readAgain = false;
        this.#read();
      }
    });
  }

  async start(): Promise<void> {
    const started = Date.now();
    const now = new Date(started).toISOString();
    for (let after: Revocation | null = null; ;) {
      const page: Revocation[] = await this.#store.revocations.listLive(now, after, START_PAGE);
      for (const entry of page) this.#apply(entry);
      if (page.length < START_PAGE) break;
      after = page[page.length - 1]!;
    }
    this.#lastPoll = started;
    this.#timer = setInterval(() => this.#read(), POLL_MS);
    this.#timer.unref();
    this.#sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.#sweepTimer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#sweepTimer);
  }

  /** How many revocations are held in memory. */
  get size(): number {
    let size = 0;
    for (const byValue of this.#entries.values()) size += byValue.size;
    return size;
  }

  /** Forgets entries whose tokens have all expired, and ids too old to be polled again. */
  sweep(nowMs = Date.now()): void {
    const minute = Math.floor(nowMs / 60_000);
    for (const [due, entries] of this.#expiring) {
      if (due >= minute) continue;
      for (const [kind, value, revokedAt] of entries) {
        const byValue = this.#entries.get(kind);
        // A later revocation of the same value keeps it.
        if (byValue?.get(value) === revokedAt) byValue.delete(value);
        // With no entry left, the bearer check's shortcut (nothing revoked at all) applies again.
        if (byValue?.size === 0) this.#entries.delete(kind);
      }
      this.#expiring.delete(due);
    }
    this.#seenBefore = this.#seen;
    this.#seen = new Set();
  }

  /** Reads entries written since the last poll (by this node or any other). */
  async refresh(since = this.#lastPoll - POLL_OVERLAP_MS): Promise<void> {
    const now = Date.now();
    const entries = await this.#store.revocations.listSince(new Date(Math.max(0, since)).toISOString(), new Date(now).toISOString());
    for (const entry of entries) {
      if (this.#apply(entry)) this.#onLag?.(Math.max(0, Date.now() - Date.parse(entry.createdAt)) / 1000);
    }
    this.#lastPoll = now;
  }

  announce(kind: ChangeKind, value: string, store: Store = this.#store): Promise<void> {
    return this.revoke(kind, value, CHANGE_NOTICE_SECONDS, store);
  }

  onChange(kind: ChangeKind, listener: (value: string) => void): void {
    this.onEntry(kind, listener);
  }

  /** Calls `listener` for every entry of `kind`, written here or polled from the store. */
  onEntry(kind: RevocationKind, listener: (value: string) => void): void {
    this.#listeners.set(kind, [...(this.#listeners.get(kind) ?? []), listener]);
  }

  /** Applies an entry not seen before; false if it was. */
  #apply(entry: Revocation): boolean {
    if (this.#seen.has(entry.id) || this.#seenBefore.has(entry.id)) return false;
    this.#seen.add(entry.id);
    for (const listener of this.#listeners.get(entry.kind) ?? []) listener(entry.value);
    if (NOTICES.has(entry.kind)) return true;
    let byValue = this.#entries.get(entry.kind);
    if (!byValue) this.#entries.set(entry.kind, (byValue = new Map()));
    const revokedAt = Math.max(byValue.get(entry.value) ?? 0, Date.parse(entry.createdAt));
    byValue.set(entry.value, revokedAt);
    const due = Math.floor(Date.parse(entry.expiresAt) / 60_000);
    let bucket = this.#expiring.get(due);
    if (!bucket) this.#expiring.set(due, (bucket = []));
    bucket.push([entry.kind, entry.value, revokedAt]);
    return true;
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
    // Once it is committed, the other nodes are told to read the feed.
    store.afterCommit(() => this.#news?.publish('revocations'));
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
