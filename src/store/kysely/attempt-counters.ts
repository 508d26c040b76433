// AttemptCounterRepository on Kysely.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { AttemptCounterRepository } from '../../security/attempt-counter.ts';

export class AttemptCounters implements AttemptCounterRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }> {
    // One statement, so parallel attempts cannot slip past the count.
    const row = await this.#db.insertInto('attempt_counters')
      .values({ key, count: 1, window_ends_at: windowEndsAt })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
        count: eb.case().when('attempt_counters.window_ends_at', '<=', now).then(1)
          .else(eb('attempt_counters.count', '+', 1)).end(),
        window_ends_at: eb.case().when('attempt_counters.window_ends_at', '<=', now).then(windowEndsAt)
          .else(eb.ref('attempt_counters.window_ends_at')).end(),
      })))
      .returning(['count', 'window_ends_at'])
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), windowEndsAt: row.window_ends_at };
  }
  async undo(key: string): Promise<void> {
    await this.#db.updateTable('attempt_counters').set((eb) => ({ count: eb('count', '-', 1) }))
      .where('key', '=', key).where('count', '>', 0).execute();
  }
  async reset(key: string): Promise<void> {
    await this.#db.deleteFrom('attempt_counters').where('key', '=', key).execute();
  }
  async windowEnd(key: string, now: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('attempt_counters').select('window_ends_at')
      .where('key', '=', key).where('window_ends_at', '>', now).executeTakeFirst();
    return row?.window_ends_at;
  }
  async extend(key: string, until: string): Promise<void> {
    await this.#db.insertInto('attempt_counters').values({ key, count: 0, window_ends_at: until })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
        window_ends_at: eb.case().when('attempt_counters.window_ends_at', '<', until).then(until)
          .else(eb.ref('attempt_counters.window_ends_at')).end(),
      })))
      .execute();
  }
}
