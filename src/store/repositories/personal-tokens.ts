// Kysely repositories for personal access tokens and device authorizations.
import type { Kysely, Selectable } from 'kysely';
import type { Database, DeviceAuthorizationsTable, PersonalAccessTokensTable } from '../schema.ts';
import type {
  DeviceAuthorization, DeviceAuthorizationRepository, DeviceStatus, PersonalAccessToken, PersonalAccessTokenRepository,
} from '../store.ts';

const toToken = (row: Selectable<PersonalAccessTokensTable>): PersonalAccessToken => ({
  id: row.id,
  userId: row.user_id,
  workspaceId: row.workspace_id,
  name: row.name,
  tokenHash: row.token_hash,
  scopes: JSON.parse(row.scopes) as string[],
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
      scopes: JSON.stringify(t.scopes),
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

const toDevice = (row: Selectable<DeviceAuthorizationsTable>): DeviceAuthorization => ({
  deviceCodeHash: row.device_code_hash,
  userCode: row.user_code,
  clientId: row.client_id,
  scopes: JSON.parse(row.scopes) as string[],
  status: row.status as DeviceStatus,
  userId: row.user_id,
  intervalSeconds: Number(row.interval_seconds),
  lastPolledAt: row.last_polled_at,
  expiresAt: row.expires_at,
  createdAt: row.created_at,
});

export class DeviceAuthorizations implements DeviceAuthorizationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(d: DeviceAuthorization): Promise<void> {
    await this.#db.insertInto('device_authorizations').values({
      device_code_hash: d.deviceCodeHash,
      user_code: d.userCode,
      client_id: d.clientId,
      scopes: JSON.stringify(d.scopes),
      status: d.status,
      user_id: d.userId,
      interval_seconds: d.intervalSeconds,
      last_polled_at: d.lastPolledAt,
      expires_at: d.expiresAt,
      created_at: d.createdAt,
    }).execute();
  }
  async findByDeviceCodeHash(hash: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.#db.selectFrom('device_authorizations').selectAll().where('device_code_hash', '=', hash).executeTakeFirst();
    return row && toDevice(row);
  }
  async findByUserCode(userCode: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.#db.selectFrom('device_authorizations').selectAll().where('user_code', '=', userCode).executeTakeFirst();
    return row && toDevice(row);
  }
  async decide(userCode: string, status: 'approved' | 'denied', userId: string): Promise<boolean> {
    const result = await this.#db.updateTable('device_authorizations').set({ status, user_id: userId })
      .where('user_code', '=', userCode).where('status', '=', 'pending').executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async recordPoll(hash: string, at: string, intervalSeconds: number): Promise<void> {
    await this.#db.updateTable('device_authorizations').set({ last_polled_at: at, interval_seconds: intervalSeconds })
      .where('device_code_hash', '=', hash).execute();
  }
  async consume(hash: string): Promise<boolean> {
    const result = await this.#db.updateTable('device_authorizations').set({ status: 'consumed' })
      .where('device_code_hash', '=', hash).where('status', '=', 'approved').executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
