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
  /** Runs `work` in one transaction: every change it makes lands, or none does. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Deletes rows whose time is up (sessions, codes, device
   * requests, revocations, attempt counters), at most `batch` rows per
   * statement so a purge never holds a long lock. Returns the rows deleted.
   */
  purgeExpired(now: string, batch?: number): Promise<number>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
