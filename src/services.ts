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
import { Metrics } from './metrics/metrics.ts';
import { AuditLog } from './audit/audit-log.ts';
import { SYSTEM } from './audit/audit-event.ts';
import { Janitor } from './ops/janitor.ts';
import { RedisAttemptCounters } from './security/redis-counters.ts';
import { MemoryAttemptCounters } from './security/memory-counters.ts';
import { FailSafeCounters } from './security/fail-safe-counters.ts';
import type { AttemptCounterRepository } from './security/attempt-counter.ts';

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
  /** What /metrics serves; the parts that record get their own instrument from it. */
  metrics: Metrics;
  /** Who did what: services record into it, admins read it. */
  audit: AuditLog;
  /** This process's id as a worker (its leases carry it). */
  node: string;
  janitor: Janitor;
  /** Counters every node shares (Redis, with a fail-safe), if configured. */
  sharedCounters: AttemptCounterRepository | undefined;
  /**
   * Starts what runs in the background of a server: the change feed, the
   * cross-node notifier, and (unless GATEHOUSE_WORKERS=off) the run engine and
   * the webhook dispatcher. The CLI uses none of it.
   */
  startBackground(log: EngineLog): Promise<void>;
  /** Stops the background work, waiting up to `deadlineMs` for steps and deliveries in flight; what is left is given back. */
  stopBackground(deadlineMs: number): Promise<void>;
  /** Stops the background work (if still running) and closes the store. */
  close(deadlineMs?: number): Promise<void>;
}

/** Opens the store, applies pending migrations, and loads the signing keys. */
export async function createServices(config: Config): Promise<Services> {
  const timeoutMs = config.databaseTimeoutSeconds * 1000;
  const store = KyselyStore.open(config.databaseUrl, { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs });
  try {
    await store.migrate();
    const metrics = new Metrics({ runs: store.runs }, { processMetrics: config.metrics !== 'off' });
    if (store.databasePool) metrics.watchDatabasePool(store.databasePool);
    let log: EngineLog = { error: () => {}, warn: () => {} };
    // What the background loops and the audit log meet: an outage is logged
    // once, by the store's availability (below), not by every loop and write.
    const duringOutage = (details: object) => store.availability.failed((details as { err?: unknown }).err);
    const quietLog: EngineLog = {
      error: (d, m) => duringOutage(d) || log.error(d, m),
      warn: (d, m) => duringOutage(d) || log.warn(d, m),
    };
    const audit = new AuditLog({ store, retentionDays: config.auditRetentionDays, log: quietLog });
    const node = newId('node-', 12);
    const postgres = dialectOf(config.databaseUrl) === 'postgres';
    const notifier: Notifier = postgres ? new PostgresNotifier(config.databaseUrl, node, (error) => log.warn({ err: error }, 'the change notifier lost its connection; reconnecting'), timeoutMs) : new LocalNotifier();
    // Across PostgreSQL nodes a revocation is announced by NOTIFY; one SQLite node needs no news.
    const revocations = new RevocationList(store, { news: postgres ? notifier : undefined, onLag: (lagSeconds) => metrics.revocationFeedLag.observe(lagSeconds) });
    // A rotation is a notice on the change feed: every node reads the keys again (a rotation by the CLI too).
    const keys = await KeyRing.open(store, {
      alg: config.signingAlg, accessTokenTtlSeconds: config.accessTokenTtl, publishSeconds: config.keyPublishSeconds, rotationDays: config.keyRotationDays,
      box: config.keyEncryptionKey ? new SecretBox(config.keyEncryptionKey) : null,
    }, revocations);
    const accessTokens = new AccessTokens({ keys, issuer: config.issuer, audience: config.apiAudience, ttlSeconds: config.accessTokenTtl });
    const pats = new PersonalAccessTokenService(store, revocations, audit);
    const consents = new ConsentService(store, revocations, config.accessTokenTtl, audit);
    const users = new UserService(store, audit);
    // Limits shared through Redis when configured, with each node's memory as the fail-safe.
    const redis = config.redisUrl ? new RedisAttemptCounters({ url: config.redisUrl, prefix: config.redisPrefix, timeoutMs: 500 }) : undefined;
    const sharedCounters = redis && new FailSafeCounters(redis, new MemoryAttemptCounters(), (shared, error) => (shared
      ? log.warn({ redis: 'up' }, 'Redis answers again: limits are shared across nodes')
      : log.warn({ redis: 'down', err: error }, 'Redis does not answer: each node limits sign-ins and client authentication on its own until it is back')));
    const credentials = new CredentialChecker(store, audit, sharedCounters);
    const csrfKey = await store.serverSecrets.getOrCreate('pre-session-csrf', randomToken(32), now());
    const box = new SecretBox(await store.serverSecrets.getOrCreate('webhook-secrets', randomToken(32), now()));
    const outbound = new OutboundHttp(new OutboundPolicy(config.outboundAllow));
    const sandbox = new JsonataSandbox();
    const processes = new ProcessService(store, revocations);
    const webhooks = new WebhookService({ store, box, changes: revocations, outbound, notifier });
    const writer = new RunWriter({ store, notifier, outbox: webhooks });
    const engine = new Engine({
      store, writer, notifier, log: quietLog, claimDuration: metrics.engineClaimDuration,
      executors: [new HttpStep({ http: outbound, templates: new TemplateRenderer(sandbox), userAgent: USER_AGENT }), new TransformStep(sandbox), new DelayStep(), new ApprovalStep()],
    }, { node, leaseMs: config.engineLeaseSeconds * 1000, concurrency: config.engineConcurrency, pollMs: 1000, singleNode: !postgres });
    const dispatcher = new WebhookDispatcher({ store, http: outbound, secretOf: (e) => webhooks.secretOf(e), notifier, log: quietLog, deliveries: metrics.webhookDeliveries }, {
      node, retrySchedule: config.webhookRetrySchedule, leaseMs: 60_000, concurrency: 16, pollMs: 1000, userAgent: USER_AGENT,
    });
    let background = false;
    const stopBackground = async (deadlineMs: number) => {
      if (!background) return;
      background = false;
      if (config.workers) await Promise.all([engine.stop(deadlineMs), dispatcher.stop(deadlineMs)]);
      keys.stop();
      revocations.stop();
      await notifier.stop();
    };
    return {
      config,
      store,
      users,
      clients: new ClientService(store, { revocations, accessTokenTtl: config.accessTokenTtl, audit }),
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
        store, consents, issuer: config.issuer, ttlSeconds: config.deviceCodeTtl, intervalSeconds: config.devicePollInterval, counters: sharedCounters,
      }),
      pats,
      accounts: new AccountAdmin({ store, revocations, pats, audit, accessTtlSeconds: config.accessTokenTtl }),
      passwords: new PasswordService({
        store, credentials, audit, issuer: config.issuer, resetTtlSeconds: config.passwordResetTtl,
        mailer: config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : null,
      }),
      firstRun: new FirstRunSetup(store, users),
      runs: new RunService({ store, writer, processes, audit }),
      webhooks,
      notifier,
      engine,
      dispatcher,
      metrics,
      audit,
      node,
      sharedCounters,
      janitor: new Janitor(store, { accessTokenTtlSeconds: config.accessTokenTtl, auditCutoff: (nowMs) => audit.cutoff(nowMs), onDeleted: (table, count) => metrics.janitorDeleted.inc({ table }, count) }),
      async startBackground(serverLog: EngineLog) {
        log = serverLog;
        // One line when the database goes away, one when it is back: not one per request.
        store.availability.onChange((up, reason) => (up
          ? serverLog.warn({ database: 'up' }, 'the database answers again')
          : serverLog.error({ database: 'down', reason }, 'the database does not answer: requests that need it get 503 until it is back')));
        await revocations.start();
        await notifier.start();
        // Keys are read again each minute and on news; one node rotates them when due.
        keys.start((rotation) => {
          serverLog.warn({ kid: rotation.kid, previousKid: rotation.previousKid }, 'rotated the signing key');
          void audit.keyRotated(SYSTEM, rotation.kid, rotation.previousKid);
        }, (error) => store.availability.failed(error) || serverLog.error({ err: error }, 'reading or rotating the signing keys failed'));
        if (config.workers) {
          sandbox.warm();
          await engine.start();
          dispatcher.start();
        }
        background = true;
      },
      stopBackground,
      async close(deadlineMs = 0) {
        await stopBackground(deadlineMs);
        redis?.close();
        // The CLI starts the notifier by itself (a cancel reaches the node running the step): stopped here, after its last message went out.
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
