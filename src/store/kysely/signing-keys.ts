// SigningKeyRepository on Kysely.
import type { JsonWebKey } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.ts';
import type { SigningKey, SigningKeyRepository } from '../../oauth/keys/signing-key.ts';

function toSigningKey(row: Selectable<SigningKeysTable>): SigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    privateJwk: JSON.parse(row.private_jwk) as JsonWebKey,
    publicJwk: JSON.parse(row.public_jwk) as JsonWebKey,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
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
      private_jwk: JSON.stringify(key.privateJwk),
      public_jwk: JSON.stringify(key.publicJwk),
      created_at: key.createdAt,
      retired_at: key.retiredAt,
    }).execute();
  }
  async listActive(): Promise<SigningKey[]> {
    const rows = await this.#db.selectFrom('signing_keys').selectAll()
      .where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map(toSigningKey);
  }
}
