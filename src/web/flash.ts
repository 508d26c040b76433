// One-time values for the page a session sees next, such as a new client
// secret shown once on the page the browser is redirected to. They live only
// in this process's memory (never in a URL, cookie, log or the database), keyed
// by the session, and are gone once read or after ten minutes.
//
// Behind a load balancer without sticky sessions the redirected GET may reach
// another node, which then shows the page without the value; the user can
// rotate the secret to get a new one.

const TTL_MS = 10 * 60 * 1000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export class OneTimeFlash<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #ttlMs: number;

  constructor(ttlMs = TTL_MS) {
    this.#ttlMs = ttlMs;
    // An unread secret must not outlive its ten minutes in memory just because nothing new arrives.
    setInterval(() => this.#sweep(Date.now()), Math.min(ttlMs, 60_000)).unref();
  }

  /** Holds `value` for the session with this id hash, under `key`, replacing any earlier one. */
  put(sessionIdHash: string, key: string, value: T): void {
    const now = Date.now();
    this.#sweep(now);
    const id = `${sessionIdHash}\n${key}`;
    // Re-inserting keeps the map in expiry order, which #sweep relies on.
    this.#entries.delete(id);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, { value, expiresAt: now + this.#ttlMs });
  }

  /** The value, removed as it is read; undefined if there is none or it expired. */
  take(sessionIdHash: string, key: string): T | undefined {
    const id = `${sessionIdHash}\n${key}`;
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    return entry.expiresAt > Date.now() ? entry.value : undefined;
  }

  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(id);
    }
  }
}
