// Shared counters (Redis) with a fail-safe: while they do not answer, each
// node counts in its own memory, so limits still hold per node and no one is
// refused for want of a counter. One warning when they go, one when they are
// back; they are tried again at most every few seconds meanwhile.
import type { AttemptCounterRepository } from './attempt-counter.ts';

const RETRY_MS = 5_000;

export class FailSafeCounters implements AttemptCounterRepository {
  readonly #shared: AttemptCounterRepository;
  readonly #local: AttemptCounterRepository;
  readonly #onChange: (shared: boolean, error?: unknown) => void;
  #down = false;
  #downSince = 0;

  constructor(shared: AttemptCounterRepository, local: AttemptCounterRepository, onChange: (shared: boolean, error?: unknown) => void) {
    this.#shared = shared;
    this.#local = local;
    this.#onChange = onChange;
  }

  /** Whether counts are shared now (false while the fail-safe counts in memory). */
  get shared(): boolean {
    return !this.#down;
  }

  async #run<T>(work: (counters: AttemptCounterRepository) => Promise<T>): Promise<T> {
    if (this.#down && Date.now() - this.#downSince < RETRY_MS) return work(this.#local);
    try {
      const result = await work(this.#shared);
      if (this.#down) {
        this.#down = false;
        this.#onChange(true);
      }
      return result;
    } catch (error) {
      if (!this.#down) {
        this.#down = true;
        this.#onChange(false, error);
      }
      this.#downSince = Date.now();
      return work(this.#local);
    }
  }

  hit(key: string, now: string, windowEndsAt: string) {
    return this.#run((c) => c.hit(key, now, windowEndsAt));
  }
  undo(key: string) {
    return this.#run((c) => c.undo(key));
  }
  reset(key: string) {
    return this.#run((c) => c.reset(key));
  }
  windowEnd(key: string, now: string) {
    return this.#run((c) => c.windowEnd(key, now));
  }
  extend(key: string, until: string) {
    return this.#run((c) => c.extend(key, until));
  }
}
