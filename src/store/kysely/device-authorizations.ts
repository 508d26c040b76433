// DeviceAuthorizationRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, DeviceAuthorizationsTable } from '../schema.ts';
import { json, list } from './columns.ts';
import type { DeviceAuthorization, DeviceAuthorizationRepository, DeviceStatus } from '../../oauth/device/device-authorization.ts';

const toDevice = (row: Selectable<DeviceAuthorizationsTable>): DeviceAuthorization => ({
  deviceCodeHash: row.device_code_hash,
  userCode: row.user_code,
  clientId: row.client_id,
  scopes: list(row.scopes),
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
      scopes: json(d.scopes),
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
