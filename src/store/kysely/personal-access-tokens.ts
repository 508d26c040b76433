// PersonalAccessTokenRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, PersonalAccessTokensTable } from '../schema.ts';
import { json, list } from './columns.ts';
import type { PersonalAccessToken, PersonalAccessTokenRepository } from '../../pat/pat.ts';

const toToken = (row: Selectable<PersonalAccessTokensTable>): PersonalAccessToken => ({
  id: row.id,
  userId: row.user_id,
  workspaceId: row.workspace_id,
  name: row.name,
  tokenHash: row.token_hash,
  scopes: list(row.scopes),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export class PersonalAccessTokens implements PersonalAccessTokenRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(t: PersonalAccessToken): Promise<void> {
    await this.#db.insertInto('personal_access_tokens').values({
      id: t.id,
      user_id: t.userId,
      workspace_id: t.workspaceId,
      name: t.name,
      token_hash: t.tokenHash,
      scopes: json(t.scopes),
      created_at: t.createdAt,
      last_used_at: t.lastUsedAt,
      expires_at: t.expiresAt,
      revoked_at: t.revokedAt,
    }).execute();
  }
  async findByHash(tokenHash: string): Promise<PersonalAccessToken | undefined> {
    const row = await this.#db.selectFrom('personal_access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row && toToken(row);
  }
  async findById(id: string): Promise<PersonalAccessToken | undefined> {
    const row = await this.#db.selectFrom('personal_access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toToken(row);
  }
  async listForUser(userId: string): Promise<PersonalAccessToken[]> {
    const rows = await this.#db.selectFrom('personal_access_tokens').selectAll()
      .where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map(toToken);
  }
  async revoke(id: string, userId: string, at: string): Promise<boolean> {
    const result = await this.#db.updateTable('personal_access_tokens').set({ revoked_at: at })
      .where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async revokeAllForUser(userId: string, at: string): Promise<string[]> {
    const rows = await this.#db.updateTable('personal_access_tokens').set({ revoked_at: at })
      .where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id').execute();
    return rows.map((r) => r.id);
  }
  async touch(id: string, at: string): Promise<void> {
    await this.#db.updateTable('personal_access_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}
