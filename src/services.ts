// Builds the services every front end (HTTP, CLI) uses, from a Config.
import type { Config } from './config.ts';
import type { Store } from './store/store.ts';
import { KyselyStore } from './store/kysely-store.ts';
import { UserService } from './user/user-service.ts';
import { ClientService } from './client/client-service.ts';
import { ProcessService } from './process/process-service.ts';
import { KeyRing } from './oauth/keys/key-ring.ts';
import { AccessTokens } from './oauth/tokens/access-token.ts';

export interface Services {
  config: Config;
  store: Store;
  users: UserService;
  clients: ClientService;
  processes: ProcessService;
  keys: KeyRing;
  accessTokens: AccessTokens;
  close(): Promise<void>;
}

/** Opens the store, applies pending migrations, and loads the signing keys. */
export async function createServices(config: Config): Promise<Services> {
  const store = KyselyStore.open(config.databaseUrl);
  try {
    await store.migrate();
    const keys = await KeyRing.open(store);
    return {
      config,
      store,
      users: new UserService(store),
      clients: new ClientService(store),
      processes: new ProcessService(store),
      keys,
      accessTokens: new AccessTokens({ keys, issuer: config.issuer, audience: config.apiAudience, ttlSeconds: config.accessTokenTtl }),
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
