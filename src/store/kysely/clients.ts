// ClientRepository on Kysely. Every read joins the owner's row: a disabled user's apps stop working.
import type { Kysely, Selectable } from 'kysely';
import type { ClientsTable, Database } from '../schema.ts';
import type { Client, ClientChange, ClientRepository } from '../../client/client.ts';
import { flag, json, list } from './columns.ts';

function toClient(row: Selectable<ClientsTable> & { owner_disabled_at: string | null }): Client {
  return {
    clientId: row.client_id,
    workspaceId: row.workspace_id,
    createdBy: row.created_by,
    name: row.name,
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    isPublic: Boolean(row.is_public),
    firstParty: Boolean(row.first_party),
    requirePkce: Boolean(row.require_pkce),
    grantTypes: list(row.grant_types),
    scopes: list(row.scopes),
    defaultScopes: list(row.default_scopes),
    redirectUris: list(row.redirect_uris),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ownerDisabled: row.owner_disabled_at !== null,
  };
}

export class Clients implements ClientRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  /** Every read says whether the client's owner is disabled: a disabled user's apps stop working. */
  #select() {
    return this.#db.selectFrom('clients').leftJoin('users', 'users.id', 'clients.created_by')
      .selectAll('clients').select('users.disabled_at as owner_disabled_at');
  }
  async insert(client: Client): Promise<void> {
    await this.#db.insertInto('clients').values({
      client_id: client.clientId,
      workspace_id: client.workspaceId,
      created_by: client.createdBy,
      name: client.name,
      secret_hash: client.secretHash,
      previous_secret_hash: client.previousSecretHash,
      previous_secret_expires_at: client.previousSecretExpiresAt,
      is_public: flag(client.isPublic),
      first_party: flag(client.firstParty),
      require_pkce: flag(client.requirePkce),
      grant_types: json(client.grantTypes),
      scopes: json(client.scopes),
      default_scopes: json(client.defaultScopes),
      redirect_uris: json(client.redirectUris),
      created_at: client.createdAt,
      updated_at: client.updatedAt,
    }).execute();
  }
  async findById(clientId: string): Promise<Client | undefined> {
    const row = await this.#select().where('clients.client_id', '=', clientId).executeTakeFirst();
    return row && toClient(row);
  }
  async findBySecretHash(secretHash: string): Promise<Client | undefined> {
    const row = await this.#select()
      .where((eb) => eb.or([eb('clients.secret_hash', '=', secretHash), eb('clients.previous_secret_hash', '=', secretHash)]))
      .executeTakeFirst();
    return row && toClient(row);
  }
  async list(): Promise<Client[]> {
    const rows = await this.#select().orderBy('clients.created_at').orderBy('clients.client_id').execute();
    return rows.map(toClient);
  }
  async listInWorkspace(workspaceId: string): Promise<Client[]> {
    const rows = await this.#select()
      .where('clients.workspace_id', '=', workspaceId).orderBy('clients.created_at').orderBy('clients.client_id').execute();
    return rows.map(toClient);
  }
  async idsCreatedBy(userId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('clients').select('client_id').where('created_by', '=', userId).execute();
    return rows.map((r) => r.client_id);
  }
  async update(clientId: string, change: ClientChange): Promise<boolean> {
    const result = await this.#db.updateTable('clients').set({
      name: change.name,
      redirect_uris: json(change.redirectUris),
      grant_types: json(change.grantTypes),
      scopes: json(change.scopes),
      default_scopes: json(change.defaultScopes),
      updated_at: change.at,
    }).where('client_id', '=', clientId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async updateSecret(
    clientId: string,
    change: { secretHash: string; previousSecretHash: string | null; previousSecretExpiresAt: string | null; at: string },
  ): Promise<boolean> {
    const result = await this.#db.updateTable('clients').set({
      secret_hash: change.secretHash,
      previous_secret_hash: change.previousSecretHash,
      previous_secret_expires_at: change.previousSecretExpiresAt,
      updated_at: change.at,
    }).where('client_id', '=', clientId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async delete(clientId: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
