// Counts attempts (sign-in, password grant, device codes) per key in a fixed
// window, in the store so that every node shares the count. An attempt is
// counted before it is checked, so parallel guesses cannot slip past the
// limit; a success can be taken back (`refund`), so it never counts.
import type { AttemptCounterRepository } from './attempt-counter.ts';
import { isoTime } from '../ids.ts';

export interface ThrottleRule {
  /** e.g. "signin" */
  name: string;
  limit: number;
  windowSeconds: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfter: number };

const secondsUntil = (iso: string, nowMs: number): number => Math.max(1, Math.ceil((Date.parse(iso) - nowMs) / 1000));

export class Throttle {
  readonly #counters: AttemptCounterRepository;
  constructor(counters: AttemptCounterRepository) {
    this.#counters = counters;
  }

  /** Counts one attempt under each (rule, key); refused, until the latest window ends, if any count is over its limit. */
  async attempt(checks: Array<[ThrottleRule, string]>): Promise<ThrottleVerdict> {
    const nowMs = Date.now();
    let retryAfter = 0;
    for (const [rule, key] of checks) {
      const { count, windowEndsAt } = await this.#counters.hit(`${rule.name}:${key}`, isoTime(nowMs), isoTime(nowMs + rule.windowSeconds * 1000));
      if (count > rule.limit) retryAfter = Math.max(retryAfter, secondsUntil(windowEndsAt, nowMs));
    }
    return retryAfter === 0 ? { allowed: true } : { allowed: false, retryAfter };
  }

  /** Forgets the attempts under a key. */
  async reset(rule: ThrottleRule, key: string): Promise<void> {
    await this.#counters.reset(`${rule.name}:${key}`);
  }

  /** Takes back one counted attempt, e.g. one that turned out to be a success. */
  async refund(rule: ThrottleRule, key: string): Promise<void> {
    await this.#counters.undo(`${rule.name}:${key}`);
  }

  /** Counts a failure under `key` without refusing anything; returns the count in the window. */
  async count(rule: ThrottleRule, key: string): Promise<number> {
    const nowMs = Date.now();
    return (await this.#counters.hit(`${rule.name}:${key}`, isoTime(nowMs), isoTime(nowMs + rule.windowSeconds * 1000))).count;
  }

  /** Seconds until `key`'s hold (see `hold`) ends; 0 if there is none. */
  async heldFor(name: string, key: string): Promise<number> {
    const nowMs = Date.now();
    const end = await this.#counters.windowEnd(`${name}:${key}`, isoTime(nowMs));
    return end === undefined ? 0 : secondsUntil(end, nowMs);
  }

  /** Holds `key` for `seconds` from now (or longer, if it is held longer already). */
  async hold(name: string, key: string, seconds: number): Promise<void> {
    await this.#counters.extend(`${name}:${key}`, isoTime(Date.now() + seconds * 1000));
  }
}
