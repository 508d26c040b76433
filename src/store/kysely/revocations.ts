// RevocationRepository on Kysely.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Revocation, RevocationKind, RevocationRepository } from '../../oauth/tokens/revocation.ts';

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
  async listLive(now: string, after: { createdAt: string; id: string } | null, limit: number): Promise<Revocation[]> {
    let query = this.#db.selectFrom('revocations').selectAll().where('expires_at', '>', now);
    if (after) {
      query = query.where((eb) => eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
      ]));
    }
    const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id, kind: row.kind as RevocationKind, value: row.value, createdAt: row.created_at, expiresAt: row.expires_at,
    }));
  }
  async deleteExpired(now: string): Promise<number> {
    const result = await this.#db.deleteFrom('revocations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
