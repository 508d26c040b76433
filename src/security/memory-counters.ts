// Attempt counters in this process's memory: the fail-safe when Redis does
// not answer (each node then limits on its own), bounded in size.
import type { AttemptCounterRepository } from './attempt-counter.ts';
import { CountWindows } from './count-windows.ts';

export class MemoryAttemptCounters implements AttemptCounterRepository {
  readonly #windows: CountWindows;

  /** `maxKeys` bounds the memory: past it, the oldest window is forgotten. */
  constructor(maxKeys = 100_000) {
    this.#windows = new CountWindows(maxKeys);
  }

  async hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }> {
    const window = this.#windows.live(key, Date.parse(now)) ?? this.#windows.open(key, 0, Date.parse(windowEndsAt));
    window.count++;
    return { count: window.count, windowEndsAt: new Date(window.endsAt).toISOString() };
  }

  async undo(key: string): Promise<void> {
    const window = this.#windows.live(key, Date.now());
    if (window && window.count > 0) window.count--;
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async windowEnd(key: string, now: string): Promise<string | undefined> {
    const window = this.#windows.live(key, Date.parse(now));
    return window && new Date(window.endsAt).toISOString();
  }

  async extend(key: string, until: string): Promise<void> {
    const untilMs = Date.parse(until);
    const window = this.#windows.live(key, Date.now());
    if (window) window.endsAt = Math.max(window.endsAt, untilMs);
    else this.#windows.open(key, 0, untilMs);
  }
}
