// Failed attempts per key, counted in this process's memory in fixed windows:
// a key over its limit is refused until its window ends. For checks on a hot
// path (client authentication), where a store write per attempt, as
// throttle.ts does for passwords, would cost every request; only failures
// are counted here, and a success costs one map lookup. Each node counts its
// own; with shared counters (Redis), a node that learns a key is over the
// limit everywhere blocks it here too (`block`).
import { CountWindows } from './count-windows.ts';

export interface FailureRule {
  limit: number;
  windowSeconds: number;
}

export class FailureLimiter {
  readonly #rule: FailureRule;
  readonly #windows: CountWindows;

  /** `maxKeys` bounds the memory: past it, the oldest window is forgotten. */
  constructor(rule: FailureRule, maxKeys = 100_000) {
    this.#rule = rule;
    this.#windows = new CountWindows(maxKeys);
  }

  /** Seconds until `key` may try again; 0 while it is within its limit. */
  retryAfter(key: string, now = Date.now()): number {
    const window = this.#windows.live(key, now);
    return window !== undefined && window.count >= this.#rule.limit ? Math.ceil((window.endsAt - now) / 1000) : 0;
  }

  /** Refuses `key` until `untilMs`: it went over its limit counted across nodes. */
  block(key: string, untilMs: number): void {
    this.#windows.open(key, this.#rule.limit, untilMs);
  }

  /** Counts a failure of `key`. */
  fail(key: string, now = Date.now()): void {
    const window = this.#windows.live(key, now);
    if (window !== undefined) window.count++;
    else this.#windows.open(key, 1, now + this.#rule.windowSeconds * 1000);
  }
}
