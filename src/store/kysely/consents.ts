// ConsentRepository on Kysely.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Consent, ConsentRepository } from '../../oauth/authorization.ts';
import { json, list } from './columns.ts';

export class Consents implements ConsentRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async save(consent: Consent): Promise<void> {
    await this.#db.insertInto('consents').values({
      user_id: consent.userId,
      client_id: consent.clientId,
      scopes: json(consent.scopes),
      created_at: consent.createdAt,
      updated_at: consent.updatedAt,
    }).onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({
      scopes: json(consent.scopes),
      updated_at: consent.updatedAt,
    })).execute();
  }
  async find(userId: string, clientId: string): Promise<Consent | undefined> {
    const row = await this.#db.selectFrom('consents').selectAll()
      .where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
    return row && { userId: row.user_id, clientId: row.client_id, scopes: list(row.scopes), createdAt: row.created_at, updatedAt: row.updated_at };
  }
  async listForUser(userId: string): Promise<Array<Consent & { clientName: string }>> {
    const rows = await this.#db.selectFrom('consents')
      .innerJoin('clients', 'clients.client_id', 'consents.client_id')
      .select(['consents.user_id', 'consents.client_id', 'consents.scopes', 'consents.created_at', 'consents.updated_at', 'clients.name'])
      .where('consents.user_id', '=', userId)
      .orderBy('consents.updated_at', 'desc')
      .execute();
    return rows.map((row) => ({
      userId: row.user_id,
      clientId: row.client_id,
      scopes: list(row.scopes),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      clientName: row.name,
    }));
  }
  async delete(userId: string, clientId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
