// KyselyStore: the Store on Kysely, for SQLite and PostgreSQL alike. It only
// aggregates the repositories (one file each in kysely/) and adds what spans
// them: transactions, the janitor's purge, migrations.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { PurgeCutoffs, Purgeable, Store } from './store.ts';
import type { ClientRepository } from '../client/client.ts';
import type { AuthorizationCodeRepository, AuthorizationRepository, ConsentRepository } from '../oauth/authorization.ts';
import type { DeviceAuthorizationRepository } from '../oauth/device/device-authorization.ts';
import type { SigningKeyRepository } from '../oauth/keys/signing-key.ts';
import type { RevocationRepository } from '../oauth/tokens/revocation.ts';
import type { PersonalAccessTokenRepository } from '../pat/pat.ts';
import type { ProcessRepository } from '../process/process.ts';
import type { StepRepository } from '../process/step.ts';
import type { RunRepository } from '../runs/run.ts';
import type { WebhookRepository } from '../webhooks/webhook.ts';
import type { AttemptCounterRepository } from '../security/attempt-counter.ts';
import type { ServerSecretRepository } from '../security/server-secret.ts';
import type { PasswordResetRepository, SessionRepository, UserRepository, WorkspaceRepository } from '../user/user.ts';
import type { AuditRepository } from '../audit/audit-event.ts';
import { migrateToLatest, migrationsApplied } from './migrate.ts';
import { connect, dialectOf, type Dialect, type PoolUsage } from './connect.ts';
import { StoreAvailability } from './availability.ts';
import { Users } from './kysely/users.ts';
import { Workspaces } from './kysely/workspaces.ts';
import { Clients } from './kysely/clients.ts';
import { Processes } from './kysely/processes.ts';
import { SigningKeys } from './kysely/signing-keys.ts';
import { Sessions } from './kysely/sessions.ts';
import { Consents } from './kysely/consents.ts';
import { Authorizations } from './kysely/authorizations.ts';
import { AuthorizationCodes } from './kysely/authorization-codes.ts';
import { Revocations } from './kysely/revocations.ts';
import { AttemptCounters } from './kysely/attempt-counters.ts';
import { PersonalAccessTokens } from './kysely/personal-access-tokens.ts';
import { DeviceAuthorizations } from './kysely/device-authorizations.ts';
import { PasswordResets } from './kysely/password-resets.ts';
import { ServerSecrets } from './kysely/server-secrets.ts';
import { Steps } from './kysely/steps.ts';
import { Runs } from './kysely/runs.ts';
import { Webhooks } from './kysely/webhooks.ts';
import { AuditEvents } from './kysely/audit-events.ts';

/** Rows that stop mattering at a time in a column: [table, key column, time column]. */
const EXPIRING = {
  sessions: ['sessions', 'id_hash', 'expires_at'],
  authorization_codes: ['authorization_codes', 'code_hash', 'expires_at'],
  device_authorizations: ['device_authorizations', 'device_code_hash', 'expires_at'],
  revocations: ['revocations', 'id', 'expires_at'],
  attempt_counters: ['attempt_counters', 'key', 'window_ends_at'],
  password_resets: ['password_resets', 'token_hash', 'expires_at'],
  personal_access_tokens: ['personal_access_tokens', 'id', 'expires_at'],
  // Out of the JWKS (every token they signed has expired): nothing can use them.
  signing_keys: ['signing_keys', 'kid', 'removes_at'],
} as const;

/** How a store is opened: PostgreSQL's time limits (ms; 0 for none). */
export interface OpenOptions {
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

export class KyselyStore implements Store {
  readonly users: UserRepository;
  readonly workspaces: WorkspaceRepository;
  readonly clients: ClientRepository;
  readonly processes: ProcessRepository;
  readonly steps: StepRepository;
  readonly runs: RunRepository;
  readonly webhooks: WebhookRepository;
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
  readonly auditEvents: AuditRepository;
  /** Whether the database answers; shared by a store and its transactions. */
  readonly availability: StoreAvailability;
  /** The PostgreSQL connection pool's use, for metrics; undefined on SQLite and inside transactions. */
  databasePool: PoolUsage | undefined;
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  readonly #reopen: (() => { db: Kysely<Database> }) | undefined;
  /** In a transaction: what runs once it commits. */
  readonly #commitHooks: Array<() => void> | undefined;

  constructor(db: Kysely<Database>, dialect: Dialect, availability = new StoreAvailability(), reopen?: () => { db: Kysely<Database> }, commitHooks?: Array<() => void>) {
    this.#db = db;
    this.#dialect = dialect;
    this.availability = availability;
    this.#reopen = reopen;
    this.#commitHooks = commitHooks;
    this.users = new Users(db, dialect);
    this.workspaces = new Workspaces(db);
    this.clients = new Clients(db);
    this.processes = new Processes(db);
    this.steps = new Steps(db);
    this.runs = new Runs(db, dialect);
    this.webhooks = new Webhooks(db, dialect);
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
    this.auditEvents = new AuditEvents(db, dialect);
  }

  static open(databaseUrl: string, options: OpenOptions = { connectTimeoutMs: 10_000, queryTimeoutMs: 0 }): KyselyStore {
    const dialect = dialectOf(databaseUrl);
    // While the database is down, a probe tries it every second: one round trip
    // on PostgreSQL; on SQLite (whose failures are a read-only file or a full disk) a write.
    let probe: () => Promise<void> = async () => {};
    const availability = new StoreAvailability(() => probe());
    const connection = connect(databaseUrl, { ...options, availability });
    // Migrations get a connection without a query time limit: building an index may take long.
    const reopen = () => connect(databaseUrl, { connectTimeoutMs: options.connectTimeoutMs, queryTimeoutMs: 0 });
    const store = new KyselyStore(connection.db, dialect, availability, reopen);
    store.databasePool = connection.pool;
    probe = dialect === 'sqlite' ? () => store.checkWritable() : connection.ping;
    return store;
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return work(this);
    const hooks: Array<() => void> = [];
    const result = await this.#db.transaction().execute((trx) => work(new KyselyStore(trx, this.#dialect, this.availability, undefined, hooks)));
    for (const hook of hooks) hook();
    return result;
  }

  afterCommit(hook: () => void): void {
    if (this.#commitHooks) this.#commitHooks.push(hook);
    else hook();
  }

  async purgeBatch(what: Purgeable, cutoffs: PurgeCutoffs, batch: number): Promise<number> {
    const db = this.#db;
    let result;
    if (what === 'audit_events') return this.auditEvents.purgeOlderThan(cutoffs.auditBefore, batch);
    if (what === 'authorizations') {
      // A refresh-token family is over once it cannot be refreshed and every
      // access token issued from it has expired (or it was revoked that long ago).
      result = await db.deleteFrom('authorizations').where('id', 'in', (eb) => eb.selectFrom('authorizations').select('id').where((w) => w.or([
        w.and([w('revoked_at', 'is not', null), w('revoked_at', '<=', cutoffs.accessTokensFrom)]),
        w.and([
          w.or([w('refresh_expires_at', 'is', null), w('refresh_expires_at', '<=', cutoffs.now)]),
          w(w.fn.coalesce('refresh_issued_at', 'created_at'), '<=', cutoffs.accessTokensFrom),
        ]),
      ])).limit(batch)).executeTakeFirst();
    } else {
      const [table, key, time] = EXPIRING[what];
      // One batch of keys at a time: a purge never loads or locks a whole table.
      result = await db.deleteFrom(table).where(key, 'in', (eb) =>
        eb.selectFrom(table).select(key).where(time, '<=', cutoffs.now).limit(batch)).executeTakeFirst();
    }
    return Number(result.numDeletedRows);
  }

  async exclusively(name: string, work: () => Promise<void>): Promise<boolean> {
    if (this.#dialect === 'sqlite') {
      await work();
      return true;
    }
    // A session-level advisory lock, held by one connection for the whole
    // work; per schema, so that two installations in one database do not share it.
    return this.#db.connection().execute(async (connection) => {
      const key = sql`hashtext(current_schema() || ':' || ${name})`;
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(connection);
      if (!rows[0]?.locked) return false;
      try {
        await work();
      } finally {
        await sql`select pg_advisory_unlock(${key})`.execute(connection).catch(() => {});
      }
      return true;
    });
  }

  async migrate(): Promise<string[]> {
    if (await migrationsApplied(this.#db)) return [];
    if (!this.#reopen || this.#dialect === 'sqlite') return migrateToLatest(this.#db);
    const { db } = this.#reopen();
    try {
      return await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  }

  async checkWritable(): Promise<void> {
    // A write that is rolled back: a read-only file, a full disk or a
    // read-only replica fails here, at start-up, rather than on every request.
    const rolledBack = new Error('rolled back');
    try {
      await this.#db.transaction().execute(async (trx) => {
        await sql`update kysely_migration_lock set is_locked = is_locked`.execute(trx);
        throw rolledBack;
      });
    } catch (error) {
      if (error !== rolledBack) throw error;
    }
  }

  async ready(): Promise<{ ready: boolean; reason?: string }> {
    if (!this.availability.up) return { ready: false, reason: `the database is unavailable: ${this.availability.status.reason}` };
    try {
      if (!(await migrationsApplied(this.#db))) return { ready: false, reason: 'migrations are pending' };
      return { ready: true };
    } catch (error) {
      this.availability.failed(error);
      return { ready: false, reason: 'the database does not answer' };
    }
  }

  async close(): Promise<void> {
    this.availability.stop();
    await this.#db.destroy();
  }
}
