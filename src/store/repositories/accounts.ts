// Kysely repositories for password-reset links and server-wide secrets.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { PasswordReset, PasswordResetRepository, ServerSecretRepository } from '../store.ts';

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

export class ServerSecrets implements ServerSecretRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async getOrCreate(name: string, candidate: string, at: string): Promise<string> {
    // Nodes starting together may race: the first insert wins, and everyone reads it back.
    await this.#db.insertInto('server_secrets').values({ name, value: candidate, created_at: at })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const row = await this.#db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
    return row.value;
  }
}
