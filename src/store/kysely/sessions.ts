// SessionRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from '../schema.ts';
import type { Session, SessionRepository } from '../../user/user.ts';

const toSession = (row: Selectable<SessionsTable>): Session => ({
  idHash: row.id_hash,
  userId: row.user_id,
  csrfToken: row.csrf_token,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  userAgent: row.user_agent,
  ip: row.ip,
  lastSeenAt: row.last_seen_at,
});

export class Sessions implements SessionRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(session: Session): Promise<void> {
    await this.#db.insertInto('sessions').values({
      id_hash: session.idHash,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      user_agent: session.userAgent,
      ip: session.ip,
      last_seen_at: session.lastSeenAt,
    }).execute();
  }
  async findByHash(idHash: string): Promise<Session | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return row && toSession(row);
  }
  async listForUser(userId: string, now: string): Promise<Session[]> {
    const rows = await this.#db.selectFrom('sessions').selectAll()
      .where('user_id', '=', userId).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
    return rows.map(toSession);
  }
  async touch(idHash: string, at: string): Promise<void> {
    await this.#db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
  }
  async delete(idHash: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }
  async deleteForUser(userId: string, keepIdHash?: string): Promise<number> {
    let query = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepIdHash !== undefined) query = query.where('id_hash', '!=', keepIdHash);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }
}
