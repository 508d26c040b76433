// Attempt counters in this process's memory: the fail-safe when Redis does
// not answer (each node then limits on its own), bounded in size.
import type { AttemptCounterRepository } from './attempt-counter.ts';

export class MemoryAttemptCounters implements AttemptCounterRepository {
  readonly #windows = new Map<string, { count: number; endsAt: number }>();
  readonly #maxKeys: number;

  /** `maxKeys` bounds the memory: past it, the oldest window is forgotten. */
  constructor(maxKeys = 100_000) {
    this.#maxKeys = maxKeys;
  }

  #live(key: string, nowMs: number) {
    const window = this.#windows.get(key);
    if (window && window.endsAt <= nowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  async hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }> {
    let window = this.#live(key, Date.parse(now));
    if (!window) {
      if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      window = { count: 0, endsAt: Date.parse(windowEndsAt) };
      this.#windows.set(key, window);
    }
    window.count++;
    return { count: window.count, windowEndsAt: new Date(window.endsAt).toISOString() };
  }

  async undo(key: string): Promise<void> {
    const window = this.#windows.get(key);
    if (window && window.count > 0) window.count--;
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async windowEnd(key: string, now: string): Promise<string | undefined> {
    const window = this.#live(key, Date.parse(now));
    return window && new Date(window.endsAt).toISOString();
  }

  async extend(key: string, until: string): Promise<void> {
    const untilMs = Date.parse(until);
    const window = this.#live(key, Date.now());
    if (window) window.endsAt = Math.max(window.endsAt, untilMs);
    else this.#windows.set(key, { count: 0, endsAt: untilMs });
  }
}
