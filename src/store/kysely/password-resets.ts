// PasswordResetRepository on Kysely.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { PasswordReset, PasswordResetRepository } from '../../user/user.ts';

export class PasswordResets implements PasswordResetRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(r: PasswordReset): Promise<void> {
    await this.#db.insertInto('password_resets').values({
      token_hash: r.tokenHash, user_id: r.userId, created_by: r.createdBy, created_at: r.createdAt, expires_at: r.expiresAt, used_at: r.usedAt,
    }).execute();
  }
  async findByHash(tokenHash: string): Promise<PasswordReset | undefined> {
    const row = await this.#db.selectFrom('password_resets').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && {
      tokenHash: row.token_hash, userId: row.user_id, createdBy: row.created_by, createdAt: row.created_at, expiresAt: row.expires_at, usedAt: row.used_at,
    };
  }
  async markUsed(tokenHash: string, at: string): Promise<boolean> {
    const result = await this.#db.updateTable('password_resets').set({ used_at: at })
      .where('token_hash', '=', tokenHash).where('used_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async expireForUser(userId: string, at: string): Promise<void> {
    await this.#db.updateTable('password_resets').set({ used_at: at })
      .where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }
}
