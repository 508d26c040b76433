// ServerSecretRepository on Kysely.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { ServerSecretRepository } from '../../security/server-secret.ts';

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
