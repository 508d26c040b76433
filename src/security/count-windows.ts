// Counts per key in fixed windows, in this process's memory, bounded in size:
// what the client-authentication limiter (FailureLimiter) and the fail-safe
// attempt counters (MemoryAttemptCounters) both keep.

export interface CountWindow {
  count: number;
  endsAt: number;
}

export class CountWindows {
  readonly #windows = new Map<string, CountWindow>();
  readonly #maxKeys: number;

  /** `maxKeys` bounds the memory: past it, the oldest window is forgotten. */
  constructor(maxKeys = 100_000) {
    this.#maxKeys = maxKeys;
  }

  /** The window of `key` if it has not ended at `nowMs` (an ended one is forgotten). */
  live(key: string, nowMs: number): CountWindow | undefined {
    const window = this.#windows.get(key);
    if (window !== undefined && window.endsAt <= nowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  /** Starts a new window for `key`, replacing any it had. */
  open(key: string, count: number, endsAt: number): CountWindow {
    this.#windows.delete(key);
    if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
    const window = { count, endsAt };
    this.#windows.set(key, window);
    return window;
  }

  delete(key: string): void {
    this.#windows.delete(key);
  }
}
