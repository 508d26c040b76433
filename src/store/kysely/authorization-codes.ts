// AuthorizationCodeRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodesTable, Database } from '../schema.ts';
import type { AuthorizationCode, AuthorizationCodeRepository } from '../../oauth/authorization.ts';

const toCode = (row: Selectable<AuthorizationCodesTable>): AuthorizationCode => ({
  codeHash: row.code_hash,
  authorizationId: row.authorization_id,
  clientId: row.client_id,
  redirectUri: row.redirect_uri,
  redirectUriSent: Boolean(row.redirect_uri_sent),
  codeChallenge: row.code_challenge,
  expiresAt: row.expires_at,
  usedAt: row.used_at,
  createdAt: row.created_at,
});

export class AuthorizationCodes implements AuthorizationCodeRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(code: AuthorizationCode): Promise<void> {
    await this.#db.insertInto('authorization_codes').values({
      code_hash: code.codeHash,
      authorization_id: code.authorizationId,
      client_id: code.clientId,
      redirect_uri: code.redirectUri,
      redirect_uri_sent: code.redirectUriSent ? 1 : 0,
      code_challenge: code.codeChallenge,
      expires_at: code.expiresAt,
      used_at: code.usedAt,
      created_at: code.createdAt,
    }).execute();
  }
  async findByHash(codeHash: string): Promise<AuthorizationCode | undefined> {
    const row = await this.#db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
    return row && toCode(row);
  }
  async markUsed(codeHash: string, at: string): Promise<boolean> {
    const result = await this.#db.updateTable('authorization_codes').set({ used_at: at })
      .where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
