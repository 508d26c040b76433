// Counts attempts (sign-in, password grant) per key in a fixed window, in the
// store so that every node shares the count. An attempt is counted before the
// password is checked, so parallel guesses cannot slip past the limit.
import type { Store } from '../store/store.ts';

export interface ThrottleRule {
  /** e.g. "signin-account" */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface ThrottleVerdict {
  allowed: boolean;
  /** Seconds until the window ends, when refused. */
  retryAfter: number;
}

export class Throttle {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  /** Counts one attempt under each (rule, key); refused if any count is over its limit. */
  async attempt(checks: Array<[ThrottleRule, string]>): Promise<ThrottleVerdict> {
    const now = Date.now();
    let retryAfter = 0;
    for (const [rule, key] of checks) {
      const windowEnds = now + rule.windowSeconds * 1000;
      const count = await this.#store.attemptCounters.hit(`${rule.name}:${key}`, new Date(now).toISOString(), new Date(windowEnds).toISOString());
      if (count > rule.limit) retryAfter = Math.max(retryAfter, rule.windowSeconds);
    }
    return { allowed: retryAfter === 0, retryAfter };
  }

  /** Forgets the attempts under a key, after a success. */
  async reset(rule: ThrottleRule, key: string): Promise<void> {
    await this.#store.attemptCounters.reset(`${rule.name}:${key}`);
  }
}

// Per account: a handful of guesses, then a pause. Per address: more, for shared NATs.
export const SIGN_IN_PER_ACCOUNT: ThrottleRule = { name: 'signin-account', limit: 5, windowSeconds: 15 * 60 };
export const SIGN_IN_PER_IP: ThrottleRule = { name: 'signin-ip', limit: 50, windowSeconds: 15 * 60 };
