// The apps a user has let act for them: those with remembered consent, and
// those still holding a live token (the password grant records no consent,
// and first-party apps skip it). Shared by the account page and the API.
import type { Services } from '../services.ts';

export interface AuthorizedAppSummary {
  clientId: string;
  name: string;
  scopes: string[];
  /** When the user first authorized it, of what is still live. */
  authorizedAt: string;
}

type Deps = Pick<Services, 'store' | 'consents' | 'config'>;

export async function listAuthorizedApps(deps: Deps, userId: string): Promise<AuthorizedAppSummary[]> {
  const now = Date.now();
  const accessTokensFrom = new Date(now - deps.config.accessTokenTtl * 1000).toISOString();
  const [consents, live] = await Promise.all([
    deps.consents.list(userId),
    deps.store.authorizations.listLiveForUser(userId, accessTokensFrom, new Date(now).toISOString()),
  ]);
  const apps = new Map<string, { name?: string; scopes: Set<string>; authorizedAt: string }>();
  const add = (clientId: string, scopes: string[], at: string, name?: string) => {
    const app = apps.get(clientId) ?? { scopes: new Set<string>(), authorizedAt: at };
    for (const s of scopes) app.scopes.add(s);
    if (at < app.authorizedAt) app.authorizedAt = at;
    app.name ??= name;
    apps.set(clientId, app);
  };
  for (const c of consents) add(c.clientId, c.scopes, c.createdAt, c.clientName);
  for (const a of live) add(a.clientId, a.scopes, a.createdAt);

  const result: AuthorizedAppSummary[] = [];
  for (const [clientId, app] of apps) {
    const name = app.name ?? (await deps.store.clients.findById(clientId))?.name ?? clientId;
    result.push({ clientId, name, scopes: [...app.scopes].sort(), authorizedAt: app.authorizedAt });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name) || a.clientId.localeCompare(b.clientId));
}
