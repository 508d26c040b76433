import type { JsonWebKey } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { ClientsTable, Database, ProcessesTable, SigningKeysTable, UsersTable, WorkspacesTable } from './schema.ts';
import type {
  Client, ClientChange, ClientRepository, Process, ProcessPage, ProcessRepository, SigningKey, SigningKeyRepository,
  Store, User, UserRepository, Workspace, WorkspaceRepository, SessionRepository, ConsentRepository,
  AuthorizationRepository, AuthorizationCodeRepository, RevocationRepository,
  AttemptCounterRepository, PersonalAccessTokenRepository, DeviceAuthorizationRepository,
  PasswordResetRepository, ServerSecretRepository,
} from './store.ts';
import { migrateToLatest } from './migrate.ts';
import { connect, dialectOf, type Dialect } from './connect.ts';
import { AuthorizationCodes, Authorizations, Consents, Sessions } from './repositories/grants.ts';
import { prepared } from './prepared.ts';
import { AttemptCounters, Revocations } from './repositories/revocations.ts';
import { DeviceAuthorizations, PersonalAccessTokens } from './repositories/personal-tokens.ts';
import { PasswordResets, ServerSecrets } from './repositories/accounts.ts';

const flag = (value: boolean): number => (value ? 1 : 0);

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    isAdmin: Boolean(row.is_admin),
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}

function toWorkspace(row: Selectable<WorkspacesTable>): Workspace {
  return { id: row.id, name: row.name, personalOwnerId: row.personal_owner_id, createdAt: row.created_at };
}

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
    grantTypes: JSON.parse(row.grant_types) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    defaultScopes: JSON.parse(row.default_scopes) as string[],
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ownerDisabled: row.owner_disabled_at !== null,
  };
}

function toProcess(row: Selectable<ProcessesTable>): Process {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    modifiedBy: row.modified_by,
  };
}

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

class Users implements UserRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }
  async lockActive(id: string): Promise<boolean> {
    let query = this.#db.selectFrom('users').select('disabled_at').where('id', '=', id);
    // SQLite runs one writing transaction at a time already; PostgreSQL needs the row lock.
    if (this.#dialect === 'postgres') query = query.forShare();
    const row = await query.executeTakeFirst();
    return row !== undefined && row.disabled_at === null;
  }
  async insert(user: User): Promise<void> {
    await this.#db.insertInto('users').values({
      id: user.id,
      email: user.email,
      password_hash: user.passwordHash,
      is_admin: flag(user.isAdmin),
      disabled_at: user.disabledAt,
      created_at: user.createdAt,
    }).execute();
  }
  async findById(id: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }
  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row && toUser(row);
  }
  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toUser);
  }
  async any(): Promise<boolean> {
    return (await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }
  async setDisabled(id: string, disabledAt: string | null): Promise<boolean> {
    const result = await this.#db.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.#db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

class Workspaces implements WorkspaceRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(workspace: Workspace): Promise<void> {
    await this.#db.insertInto('workspaces').values({
      id: workspace.id,
      name: workspace.name,
      personal_owner_id: workspace.personalOwnerId,
      created_at: workspace.createdAt,
    }).execute();
  }
  async addMember(workspaceId: string, userId: string, role: string, at: string): Promise<void> {
    await this.#db.insertInto('workspace_members')
      .values({ workspace_id: workspaceId, user_id: userId, role, created_at: at })
      .execute();
  }
  async findPersonal(userId: string): Promise<Workspace | undefined> {
    const row = await this.#db.selectFrom('workspaces').selectAll().where('personal_owner_id', '=', userId).executeTakeFirst();
    return row && toWorkspace(row);
  }
}

class Clients implements ClientRepository {
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
      grant_types: JSON.stringify(client.grantTypes),
      scopes: JSON.stringify(client.scopes),
      default_scopes: JSON.stringify(client.defaultScopes),
      redirect_uris: JSON.stringify(client.redirectUris),
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
      redirect_uris: JSON.stringify(change.redirectUris),
      grant_types: JSON.stringify(change.grantTypes),
      scopes: JSON.stringify(change.scopes),
      default_scopes: JSON.stringify(change.defaultScopes),
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

class Processes implements ProcessRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(process: Process): Promise<void> {
    await this.#db.insertInto('processes').values({
      id: process.id,
      workspace_id: process.workspaceId,
      name: process.name,
      description: process.description,
      created_at: process.createdAt,
      modified_at: process.modifiedAt,
      modified_by: process.modifiedBy,
    }).execute();
  }
  // The API's GET by id is a hot path: compiled once, re-bound per call.
  readonly #findInWorkspace = prepared<'workspaceId' | 'id', Selectable<ProcessesTable>>((param) =>
    this.#db.selectFrom('processes').selectAll().where('workspace_id', '=', param('workspaceId')).where('id', '=', param('id')));
  async findInWorkspace(workspaceId: string, id: string): Promise<Process | undefined> {
    const row = (await this.#db.executeQuery(this.#findInWorkspace({ workspaceId, id }))).rows[0];
    return row && toProcess(row);
  }
  async listInWorkspace(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage> {
    let query = this.#db.selectFrom('processes').selectAll().where('workspace_id', '=', workspaceId);
    if (after !== null) query = query.where('id', '>', after);
    // One row more than asked tells whether another page exists.
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toProcess);
    const nextCursor = rows.length > limit ? (items.at(-1)?.id ?? null) : null;
    return { items, nextCursor };
  }
}

class SigningKeys implements SigningKeyRepository {
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

/** Tables with rows that stop mattering at a time: [table, key column, time column]. */
const EXPIRING = [
  ['sessions', 'id_hash', 'expires_at'],
  ['authorization_codes', 'code_hash', 'expires_at'],
  ['device_authorizations', 'device_code_hash', 'expires_at'],
  ['revocations', 'id', 'expires_at'],
  ['attempt_counters', 'key', 'window_ends_at'],
  ['password_resets', 'token_hash', 'expires_at'],
] as const;

export class KyselyStore implements Store {
  readonly users: UserRepository;
  readonly workspaces: WorkspaceRepository;
  readonly clients: ClientRepository;
  readonly processes: ProcessRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly sessions: SessionRepository;
  readonly consents: ConsentRepository;
  readonly authorizations: AuthorizationRepository;
  readonly authorizationCodes: AuthorizationCodeRepository;
  readonly revocations: RevocationRepository;
  readonly attemptCounters: AttemptCounterRepository;
  readonly personalAccessTokens: PersonalAccessTokenRepository;
  readonly deviceAuthorizations: DeviceAuthorizationRepository;
  readonly passwordResets: PasswordResetRepository;
  readonly serverSecrets: ServerSecretRepository;
  readonly #db: Kysely<Database>;

  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
    this.users = new Users(db, dialect);
    this.workspaces = new Workspaces(db);
    this.clients = new Clients(db);
    this.processes = new Processes(db);
    this.signingKeys = new SigningKeys(db);
    this.sessions = new Sessions(db);
    this.consents = new Consents(db);
    this.authorizations = new Authorizations(db);
    this.authorizationCodes = new AuthorizationCodes(db);
    this.revocations = new Revocations(db);
    this.attemptCounters = new AttemptCounters(db);
    this.personalAccessTokens = new PersonalAccessTokens(db);
    this.deviceAuthorizations = new DeviceAuthorizations(db);
    this.passwordResets = new PasswordResets(db);
    this.serverSecrets = new ServerSecrets(db);
  }

  static open(databaseUrl: string): KyselyStore {
    return new KyselyStore(connect(databaseUrl), dialectOf(databaseUrl));
  }

  transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return work(this);
    return this.#db.transaction().execute((trx) => work(new KyselyStore(trx, this.#dialect)));
  }

  async purgeExpired(now: string, batch = 1000): Promise<number> {
    let deleted = 0;
    for (const [table, key, time] of EXPIRING) {
      // Batches by key, oldest first, and a bounded number of them per run.
      for (let round = 0; round < 50; round++) {
        const result = await this.#db.deleteFrom(table).where(key, 'in', (eb) =>
          eb.selectFrom(table).select(key).where(time, '<=', now).limit(batch)).executeTakeFirst();
        const count = Number(result.numDeletedRows);
        deleted += count;
        if (count < batch) break;
      }
    }
    return deleted;
  }

  migrate(): Promise<string[]> {
    return migrateToLatest(this.#db);
  }

  close(): Promise<void> {
    return this.#db.destroy();
  }
}
