// A bounded in-memory cache of store reads for the hot paths (clients on the
// token endpoint, processes on the API's GET). Entries expire after `ttlMs`;
// the oldest goes first when it is full. Whoever changes a cached thing must
// `delete` it here (and tell other nodes, through the revocation feed).

export class ReadCache<V> {
  readonly #ttlMs: number;
  readonly #size: number;
  readonly #entries = new Map<string, { value: V; cachedAt: number }>();

  constructor(options: { ttlMs: number; size: number }) {
    this.#ttlMs = options.ttlMs;
    this.#size = options.size;
  }

  /** The cached value while it is fresh. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() - entry.cachedAt < this.#ttlMs) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    // Map keeps insertion order: re-inserting moves the key to the back.
    this.#entries.delete(key);
    if (this.#entries.size >= this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, cachedAt: Date.now() });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
