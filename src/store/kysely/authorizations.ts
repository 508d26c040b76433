// AuthorizationRepository on Kysely: authorizations, each with its refresh-token family in its own row.
import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationsTable, Database } from '../schema.ts';
import type { Authorization, AuthorizationRepository, RefreshState } from '../../oauth/authorization.ts';
import { prepared } from '../prepared.ts';
import { json, list } from './columns.ts';

const toRefreshState = (row: Selectable<AuthorizationsTable>): RefreshState | null =>
  row.refresh_handle === null || row.refresh_hash === null || row.refresh_issued_at === null || row.refresh_expires_at === null
    ? null
    : {
      handle: row.refresh_handle,
      tokenHash: row.refresh_hash,
      previousHash: row.refresh_previous_hash,
      rotatedAt: row.refresh_rotated_at,
      nonce: row.refresh_nonce,
      issuedAt: row.refresh_issued_at,
      expiresAt: row.refresh_expires_at,
    };

const toAuthorization = (row: Selectable<AuthorizationsTable>): Authorization => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  workspaceId: row.workspace_id,
  scopes: list(row.scopes),
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  refresh: toRefreshState(row),
});

type RefreshParam = 'handle' | 'hash' | 'previousHash' | 'rotatedAt' | 'nonce' | 'issuedAt' | 'expiresAt';

/** The refresh columns, each with `value(its name)`: a state's values, or a prepared query's markers. */
const refreshColumns = (value: (name: RefreshParam) => string | null) => ({
  refresh_handle: value('handle'),
  refresh_hash: value('hash'),
  refresh_previous_hash: value('previousHash'),
  refresh_rotated_at: value('rotatedAt'),
  refresh_nonce: value('nonce'),
  refresh_issued_at: value('issuedAt'),
  refresh_expires_at: value('expiresAt'),
});

const refreshRow = (state: RefreshState) => {
  const values = refreshValues(state);
  return refreshColumns((name) => values[name]);
};

const refreshValues = (state: RefreshState): Record<RefreshParam, string | null> => ({
  handle: state.handle,
  hash: state.tokenHash,
  previousHash: state.previousHash,
  rotatedAt: state.rotatedAt,
  nonce: state.nonce,
  issuedAt: state.issuedAt,
  expiresAt: state.expiresAt,
});

export class Authorizations implements AuthorizationRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  // The refresh grant's two statements: one read and one conditional write.
  readonly #byRefreshHandle = prepared<'handle', Selectable<AuthorizationsTable>>((param) =>
    this.#db.selectFrom('authorizations').selectAll().where('refresh_handle', '=', param('handle')));
  readonly #rotateRefresh = prepared<RefreshParam | 'id' | 'currentHash', unknown>((param) =>
    this.#db.updateTable('authorizations').set(refreshColumns(param))
      .where('id', '=', param('id')).where('refresh_hash', '=', param('currentHash')).where('revoked_at', 'is', null));

  async insert(a: Authorization): Promise<void> {
    await this.#db.insertInto('authorizations').values({
      id: a.id,
      user_id: a.userId,
      client_id: a.clientId,
      workspace_id: a.workspaceId,
      scopes: json(a.scopes),
      created_at: a.createdAt,
      revoked_at: a.revokedAt,
      ...(a.refresh ? refreshRow(a.refresh) : {}),
    }).execute();
  }
  async findByRefreshHandle(handle: string): Promise<Authorization | undefined> {
    const row = (await this.#db.executeQuery(this.#byRefreshHandle({ handle }))).rows[0];
    return row && toAuthorization(row);
  }
  async startRefresh(id: string, state: RefreshState): Promise<void> {
    await this.#db.updateTable('authorizations').set(refreshRow(state))
      .where('id', '=', id).execute();
  }
  async rotateRefresh(id: string, currentHash: string, next: RefreshState): Promise<boolean> {
    const result = await this.#db.executeQuery(this.#rotateRefresh({ ...refreshValues(next), id, currentHash }));
    return (result.numAffectedRows ?? 0n) > 0n;
  }
  async findById(id: string): Promise<Authorization | undefined> {
    const row = await this.#db.selectFrom('authorizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAuthorization(row);
  }
  async revoke(id: string, at: string): Promise<boolean> {
    const result = await this.#db.updateTable('authorizations').set({ revoked_at: at })
      .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async revokeForUser(userId: string, at: string, clientId?: string): Promise<string[]> {
    let query = this.#db.updateTable('authorizations').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (clientId !== undefined) query = query.where('client_id', '=', clientId);
    const rows = await query.returning('id').execute();
    return rows.map((r) => r.id);
  }
  async listLiveForUser(userId: string, createdAfter: string, now: string): Promise<Authorization[]> {
    const rows = await this.#db.selectFrom('authorizations').selectAll()
      .where('user_id', '=', userId).where('revoked_at', 'is', null)
      .where((eb) => eb.or([
        eb('created_at', '>', createdAfter),
        eb.and([eb('refresh_hash', 'is not', null), eb('refresh_expires_at', '>', now)]),
      ]))
      .orderBy('created_at').execute();
    return rows.map(toAuthorization);
  }
}
