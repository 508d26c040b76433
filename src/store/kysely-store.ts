// KyselyStore: the Store on Kysely, for SQLite and PostgreSQL alike. It only
// aggregates the repositories (one file each in kysely/) and adds what spans
// them: transactions, the janitor's purge, migrations.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
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
import { migrateToLatest } from './migrate.ts';
import { connect, dialectOf, type Dialect } from './connect.ts';
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
  readonly #db: Kysely<Database>;

  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
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
