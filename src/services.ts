// Builds the services every front end (HTTP, CLI) uses, from a Config.
import type { Config } from './config.ts';
import type { Store } from './store/store.ts';
import { KyselyStore } from './store/kysely-store.ts';
import { UserService } from './user/user-service.ts';
import { ClientService } from './client/client-service.ts';
import { ProcessService } from './process/process-service.ts';
import { KeyRing } from './oauth/keys/key-ring.ts';
import { AccessTokens } from './oauth/tokens/access-token.ts';
import { RevocationList } from './oauth/tokens/revocation-list.ts';
import { UserTokens } from './oauth/tokens/user-tokens.ts';
import { SessionService } from './web/session.ts';
import { CredentialChecker } from './user/credentials.ts';
import { ConsentService } from './oauth/consent-service.ts';
import { PersonalAccessTokenService } from './pat/pat-service.ts';
import { AccountAdmin } from './user/account-admin.ts';
import { DeviceFlow } from './oauth/device/device-flow.ts';
import { FirstRunSetup } from './user/first-run.ts';
import { PasswordService } from './user/passwords.ts';
import { smtpMailer } from './mail/mailer.ts';
import { randomToken } from './security/secrets.ts';
import { newId, now } from './ids.ts';
import { dialectOf } from './store/connect.ts';
import { SecretBox } from './security/secret-box.ts';
import { OutboundHttp, OutboundPolicy } from './net/outbound.ts';
import { JsonataSandbox } from './runs/jsonata-sandbox.ts';
import { TemplateRenderer } from './runs/template.ts';
import { LocalNotifier, PostgresNotifier, type Notifier } from './runs/notifier.ts';
import { RunWriter } from './runs/run-writer.ts';
import { RunService } from './runs/run-service.ts';
import { Engine, type EngineLog } from './runs/engine/engine.ts';
import { HttpStep } from './runs/engine/executors/http.ts';
import { TransformStep } from './runs/engine/executors/transform.ts';
import { DelayStep } from './runs/engine/executors/delay.ts';
import { ApprovalStep } from './runs/engine/executors/approval.ts';
import { WebhookService } from './webhooks/webhook-service.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

const USER_AGENT = 'Gatehouse (+https://github.com/gatehouse)';

export interface Services {
  config: Config;
  store: Store;
  users: UserService;
  clients: ClientService;
  processes: ProcessService;
  keys: KeyRing;
  accessTokens: AccessTokens;
  revocations: RevocationList;
  userTokens: UserTokens;
  sessions: SessionService;
  credentials: CredentialChecker;
  consents: ConsentService;
  pats: PersonalAccessTokenService;
  accounts: AccountAdmin;
  passwords: PasswordService;
  devices: DeviceFlow;
  /** The one-time set-up URL while no user exists. */
  firstRun: FirstRunSetup;
  runs: RunService;
  webhooks: WebhookService;
  notifier: Notifier;
  engine: Engine;
  dispatcher: WebhookDispatcher;
  /** This process's id as a worker (its leases carry it). */
  node: string;
  /**
   * Starts what runs in the background of a server: the change feed, the
   * cross-node notifier, and (unless GATEHOUSE_WORKERS=off) the run engine and
   * the webhook dispatcher. The CLI uses none of it.
   */
  startBackground(log: EngineLog): Promise<void>;
  /** Stops the background work, waiting up to `deadlineMs` for what is in flight, then closes the store. */
  close(deadlineMs?: number): Promise<void>;
}

/** Opens the store, applies pending migrations, and loads the signing keys. */
export async function createServices(config: Config): Promise<Services> {
  const store = KyselyStore.open(config.databaseUrl);
  try {
    await store.migrate();
    const keys = await KeyRing.open(store);
    const accessTokens = new AccessTokens({ keys, issuer: config.issuer, audience: config.apiAudience, ttlSeconds: config.accessTokenTtl });
    const revocations = new RevocationList(store);
    const pats = new PersonalAccessTokenService(store, revocations);
    const consents = new ConsentService(store, revocations, config.accessTokenTtl);
    const users = new UserService(store);
    const credentials = new CredentialChecker(store);
    const csrfKey = await store.serverSecrets.getOrCreate('pre-session-csrf', randomToken(32), now());
    const box = new SecretBox(await store.serverSecrets.getOrCreate('webhook-secrets', randomToken(32), now()));
    const node = newId('node-', 12);
    let log: EngineLog = { error: () => {}, warn: () => {} };
    const postgres = dialectOf(config.databaseUrl) === 'postgres';
    const notifier: Notifier = postgres ? new PostgresNotifier(config.databaseUrl, node, (error) => log.warn({ err: error }, 'the change notifier lost its connection')) : new LocalNotifier();
    const outbound = new OutboundHttp(new OutboundPolicy(config.outboundAllow));
    const sandbox = new JsonataSandbox();
    const processes = new ProcessService(store, revocations);
    const webhooks = new WebhookService({ store, box, revocations, outbound, notifier });
    const writer = new RunWriter({ store, notifier, outbox: webhooks });
    const engineLog: EngineLog = { error: (d, m) => log.error(d, m), warn: (d, m) => log.warn(d, m) };
    const engine = new Engine({
      store, writer, notifier, log: engineLog,
      executors: [new HttpStep({ http: outbound, templates: new TemplateRenderer(sandbox), userAgent: USER_AGENT }), new TransformStep(sandbox), new DelayStep(), new ApprovalStep()],
    }, { node, leaseMs: config.engineLeaseSeconds * 1000, concurrency: config.engineConcurrency, pollMs: 1000, singleNode: !postgres });
    const dispatcher = new WebhookDispatcher({ store, http: outbound, secretOf: (e) => webhooks.secretOf(e), notifier, log: engineLog }, {
      node, retrySchedule: config.webhookRetrySchedule, leaseMs: 60_000, concurrency: 16, pollMs: 1000, userAgent: USER_AGENT,
    });
    let background = false;
    return {
      config,
      store,
      users,
      clients: new ClientService(store, { revocations, accessTokenTtl: config.accessTokenTtl }),
      processes,
      keys,
      accessTokens,
      revocations,
      userTokens: new UserTokens({
        store, accessTokens, revocations, refreshTtlSeconds: config.refreshTokenTtl, accessTtlSeconds: config.accessTokenTtl,
      }),
      sessions: new SessionService(store, config.issuer, csrfKey),
      credentials,
      consents,
      devices: new DeviceFlow({
        store, consents, issuer: config.issuer, ttlSeconds: config.deviceCodeTtl, intervalSeconds: config.devicePollInterval,
      }),
      pats,
      accounts: new AccountAdmin({ store, revocations, pats, accessTtlSeconds: config.accessTokenTtl }),
      passwords: new PasswordService({
        store, credentials, issuer: config.issuer, resetTtlSeconds: config.passwordResetTtl,
        mailer: config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : null,
      }),
      firstRun: new FirstRunSetup(store, users),
      runs: new RunService({ store, writer, processes }),
      webhooks,
      notifier,
      engine,
      dispatcher,
      node,
      async startBackground(serverLog: EngineLog) {
        log = serverLog;
        await revocations.start();
        await notifier.start();
        if (config.workers) {
          sandbox.warm();
          await engine.start();
          dispatcher.start();
        }
        background = true;
      },
      close: async (deadlineMs = 0) => {
        if (background && config.workers) await Promise.all([engine.stop(deadlineMs), dispatcher.stop(deadlineMs)]);
        revocations.stop();
        await notifier.stop();
        await sandbox.close();
        await outbound.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
