// SigningKeyRepository on Kysely.
import type { JsonWebKey } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.ts';
import type { SigningKey, SigningKeyRepository } from '../../oauth/keys/signing-key.ts';

function toSigningKey(row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    privateJwk: row.private_jwk,
    publicJwk: JSON.parse(row.public_jwk) as JsonWebKey,
    createdAt: row.created_at,
    activatesAt: row.activates_at ?? row.created_at,
    retiredAt: row.retired_at,
    removesAt: row.removes_at,
  };
}

export class SigningKeys implements SigningKeyRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(key: SigningKey): Promise<void> {
    await this.#db.insertInto('signing_keys').values({
      kid: key.kid,
      alg: key.alg,
      private_jwk: key.privateJwk,
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: key.createdAt,
      activates_at: key.activatesAt,
      retired_at: key.retiredAt,
      removes_at: key.removesAt,
    }).execute();
  }
  async listPublished(now: string): Promise<SigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll()
      .where((eb) => eb.or([eb('removes_at', 'is', null), eb('removes_at', '>', now)]))
      .orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(toSigningKey);
  }
  async listAll(): Promise<SigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(toSigningKey);
  }
  async retireOthers(kid: string, retiredAt: string, removesAt: string): Promise<void> {
    await this.#db.updateTable('signing_keys').set({ retired_at: retiredAt, removes_at: removesAt })
      .where('kid', '!=', kid).where('retired_at', 'is', null).execute();
  }
  async setPrivateJwk(kid: string, privateJwk: string): Promise<void> {
    await this.#db.updateTable('signing_keys').set({ private_jwk: privateJwk }).where('kid', '=', kid).execute();
  }
}
