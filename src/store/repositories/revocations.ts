// Kysely repositories for the revocation list and attempt counters.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { AttemptCounterRepository, Revocation, RevocationKind, RevocationRepository } from '../store.ts';

export class Revocations implements RevocationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(r: Revocation): Promise<void> {
    await this.#db.insertInto('revocations').values({
      id: r.id, kind: r.kind, value: r.value, created_at: r.createdAt, expires_at: r.expiresAt,
    }).execute();
  }
  async listSince(since: string, now: string): Promise<Revocation[]> {
    const rows = await this.#db.selectFrom('revocations').selectAll()
      .where('created_at', '>=', since).where('expires_at', '>', now).orderBy('created_at').execute();
    return rows.map((row) => ({
      id: row.id, kind: row.kind as RevocationKind, value: row.value, createdAt: row.created_at, expiresAt: row.expires_at,
    }));
  }
  async deleteExpired(now: string): Promise<number> {
    const result = await this.#db.deleteFrom('revocations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export class AttemptCounters implements AttemptCounterRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async hit(key: string, now: string, windowEndsAt: string): Promise<number> {
    // One statement, so parallel attempts cannot slip past the count.
    const row = await this.#db.insertInto('attempt_counters')
      .values({ key, count: 1, window_ends_at: windowEndsAt })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
        count: eb.case().when('attempt_counters.window_ends_at', '<=', now).then(1)
          .else(eb('attempt_counters.count', '+', 1)).end(),
        window_ends_at: eb.case().when('attempt_counters.window_ends_at', '<=', now).then(windowEndsAt)
          .else(eb.ref('attempt_counters.window_ends_at')).end(),
      })))
      .returning('count')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
  async reset(key: string): Promise<void> {
    await this.#db.deleteFrom('attempt_counters').where('key', '=', key).execute();
  }
}
