// Failed attempts per key, counted in this process's memory in fixed windows:
// a key over its limit is refused until its window ends. For checks on a hot
// path (client authentication), where a store write per attempt, as
// throttle.ts does for passwords, would cost every request; only failures
// are counted here, and a success costs one map lookup. Each node counts its
// own; with shared counters (Redis), a node that learns a key is over the
// limit everywhere blocks it here too (`block`).

export interface FailureRule {
  limit: number;
  windowSeconds: number;
}

export class FailureLimiter {
  readonly #rule: FailureRule;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { failures: number; endsAt: number }>();

  /** `maxKeys` bounds the memory: past it, the oldest window is forgotten. */
  constructor(rule: FailureRule, maxKeys = 100_000) {
    this.#rule = rule;
    this.#maxKeys = maxKeys;
  }

  /** Seconds until `key` may try again; 0 while it is within its limit. */
  retryAfter(key: string, now = Date.now()): number {
    const window = this.#windows.get(key);
    if (window === undefined) return 0;
    if (window.endsAt <= now) {
      this.#windows.delete(key);
      return 0;
    }
    return window.failures >= this.#rule.limit ? Math.ceil((window.endsAt - now) / 1000) : 0;
  }

  /** Refuses `key` until `untilMs`: it went over its limit counted across nodes. */
  block(key: string, untilMs: number): void {
    this.#windows.delete(key);
    if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(key, { failures: this.#rule.limit, endsAt: untilMs });
  }

  /** Counts a failure of `key`. */
  fail(key: string, now = Date.now()): void {
    const window = this.#windows.get(key);
    if (window !== undefined && window.endsAt > now) {
      window.failures++;
      return;
    }
    this.#windows.delete(key);
    if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(key, { failures: 1, endsAt: now + this.#rule.windowSeconds * 1000 });
  }
}
