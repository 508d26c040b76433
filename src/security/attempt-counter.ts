// Attempt counters (sign-in limits and the like), kept in the store so nodes share them.

export interface AttemptCounterRepository {
  /** Counts one attempt for `key` in a window ending at `windowEndsAt` (a new window once the old one ends); returns the count and when its window ends. */
  hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }>;
  /** Takes one attempt back (a success that was counted before it was checked). */
  undo(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** When the window of `key` ends, if it has not ended at `now`. */
  windowEnd(key: string, now: string): Promise<string | undefined>;
  /** Makes the window of `key` end at `until`, unless it already ends later. */
  extend(key: string, until: string): Promise<void>;
}
