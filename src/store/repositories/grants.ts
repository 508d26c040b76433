// Kysely repositories for sessions, consent, authorizations (with their refresh tokens) and codes.
import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodesTable, AuthorizationsTable, Database, SessionsTable } from '../schema.ts';
import type {
  Authorization, AuthorizationCode, AuthorizationCodeRepository, AuthorizationRepository, Consent,
  ConsentRepository, RefreshState, Session, SessionRepository,
} from '../store.ts';
import { prepared } from '../prepared.ts';

const json = (value: string[]): string => JSON.stringify(value);

const toSession = (row: Selectable<SessionsTable>): Session => ({
  idHash: row.id_hash,
  userId: row.user_id,
  csrfToken: row.csrf_token,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  userAgent: row.user_agent,
  ip: row.ip,
  lastSeenAt: row.last_seen_at,
});
const list = (value: string): string[] => JSON.parse(value) as string[];

export class Sessions implements SessionRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(session: Session): Promise<void> {
    await this.#db.insertInto('sessions').values({
      id_hash: session.idHash,
      user_id: session.userId,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      user_agent: session.userAgent,
      ip: session.ip,
      last_seen_at: session.lastSeenAt,
    }).execute();
  }
  async findByHash(idHash: string): Promise<Session | undefined> {
    const row = await this.#db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return row && toSession(row);
  }
  async listForUser(userId: string, now: string): Promise<Session[]> {
    const rows = await this.#db.selectFrom('sessions').selectAll()
      .where('user_id', '=', userId).where('expires_at', '>', now).orderBy('created_at', 'desc').execute();
    return rows.map(toSession);
  }
  async touch(idHash: string, at: string): Promise<void> {
    await this.#db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
  }
  async delete(idHash: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }
  async deleteForUser(userId: string, keepIdHash?: string): Promise<number> {
    let query = this.#db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepIdHash !== undefined) query = query.where('id_hash', '!=', keepIdHash);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }
}

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
