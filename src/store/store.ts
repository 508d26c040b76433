// The store: every repository, and transactions over them. Each entity and
// its repository interface live beside their domain (user/, client/, pat/,
// process/, oauth/, security/); store/kysely/ implements them, one file each,
// for SQLite and PostgreSQL alike, and KyselyStore aggregates them.
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
import type { StoreAvailability } from './availability.ts';

export interface Store {
  users: UserRepository;
  workspaces: WorkspaceRepository;
  clients: ClientRepository;
  processes: ProcessRepository;
  steps: StepRepository;
  runs: RunRepository;
  webhooks: WebhookRepository;
  signingKeys: SigningKeyRepository;
  sessions: SessionRepository;
  consents: ConsentRepository;
  authorizations: AuthorizationRepository;
  authorizationCodes: AuthorizationCodeRepository;
  revocations: RevocationRepository;
  attemptCounters: AttemptCounterRepository;
  personalAccessTokens: PersonalAccessTokenRepository;
  deviceAuthorizations: DeviceAuthorizationRepository;
  passwordResets: PasswordResetRepository;
  serverSecrets: ServerSecretRepository;
  auditEvents: AuditRepository;
  /** Runs `work` in one transaction: every change it makes lands, or none does. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** Calls `hook` once this store's transaction has committed (never if it rolls back); at once outside a transaction. */
  afterCommit(hook: () => void): void;
  /** Whether the database answers now; told of every outage error, and probing while it lasts. */
  availability: StoreAvailability;
  /**
   * Deletes at most `batch` rows of one kind whose time is up, in one
   * statement, so a purge never loads or locks a whole table. Returns how many.
   */
  purgeBatch(what: Purgeable, cutoffs: PurgeCutoffs, batch: number): Promise<number>;
  /** Runs `work` unless another node is running the same `name` (PostgreSQL advisory lock); false if it was. */
  exclusively(name: string, work: () => Promise<void>): Promise<boolean>;
  /** Throws if the database cannot be written (a read-only file or replica, a full disk). */
  checkWritable(): Promise<void>;
  /** Whether the database answers and every migration this code knows is applied. */
  ready(): Promise<{ ready: boolean; reason?: string }>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** What the janitor purges, each kind in batches of its own. */
export const PURGEABLE = [
  'sessions', 'authorization_codes', 'device_authorizations', 'revocations', 'attempt_counters', 'password_resets',
  'authorizations', 'personal_access_tokens', 'audit_events', 'signing_keys',
] as const;
export type Purgeable = typeof PURGEABLE[number];

export interface PurgeCutoffs {
  /** Rows whose expiry is at or before this are gone. */
  now: string;
  /** Access tokens issued before this have expired (an authorization with none left and no refresh is gone). */
  accessTokensFrom: string;
  /** Audit events older than this are past their retention. */
  auditBefore: string;
}
