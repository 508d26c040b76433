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
import { now } from './ids.ts';

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
  close(): Promise<void>;
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
    return {
      config,
      store,
      users,
      clients: new ClientService(store, { revocations, accessTokenTtl: config.accessTokenTtl }),
      processes: new ProcessService(store),
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
      close: async () => {
        revocations.stop();
        await store.close();
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
