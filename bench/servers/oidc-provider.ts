// oidc-provider 9 set up for comparison with Gatehouse's token and
// introspection endpoints: the client credentials grant and the refresh-token
// grant (rotating) with ES256 JWT access tokens (RFC 9068), and introspection.
// Env: PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_USER_CLIENT_ID,
// BENCH_USER_CLIENT_SECRET, BENCH_SIDE_PORT; BENCH_SQLITE (a file path) stores
// everything there (bench/servers/oidc-sqlite-adapter.ts) instead of in memory.
//
// The refresh tokens a user grant would hold are minted through the
// provider's own models (no browser, no interaction) and handed out by a side
// HTTP server on BENCH_SIDE_PORT, so that the measured server is the plain
// provider and nothing else.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { Provider } from 'oidc-provider';
import { sqliteAdapter } from './oidc-sqlite-adapter.ts';

const port = Number(process.env.PORT ?? 0);
const sidePort = Number(process.env.BENCH_SIDE_PORT ?? 0);
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret';
const userClientId = process.env.BENCH_USER_CLIENT_ID ?? 'bench-user-client';
const userClientSecret = process.env.BENCH_USER_CLIENT_SECRET ?? 'bench-user-secret';
const issuer = `http://127.0.0.1:${port}`;
const resource = `${issuer}/api`;
/**
 * oidc-provider refuses to introspect structured (JWT) tokens, so the token
 * introspected in the bench is an opaque one, issued for this resource.
 */
const opaqueResource = `${issuer}/opaque-api`;
/** A stand-in user; any account id is found (see findAccount). */
const accountId = 'bench-user';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
// oidc-provider insists on an RS256 key: without one the client is rejected
// with "id_token_signed_response_alg must be 'ES256'" (RS256 is the default),
// although no ID token is ever issued here.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  ...(process.env.BENCH_SQLITE ? { adapter: sqliteAdapter(process.env.BENCH_SQLITE) } : {}),
  jwks: {
    keys: [
      { ...ec, kid: 'bench-es256', alg: 'ES256', use: 'sig' },
      { ...rsa, kid: 'bench-rs256', alg: 'RS256', use: 'sig' },
    ],
  },
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  }, {
    // A web app that signed its user in with the authorization code grant
    // and keeps refreshing (like Gatehouse's password + refresh_token client).
    client_id: userClientId,
    client_secret: userClientSecret,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
  }],
  // Replaces the default ['openid', 'offline_access']: offline_access is what
  // enables the refresh_token grant. No refresh token carries openid, so no
  // ID token is issued on refresh (Gatehouse issues none either).
  scopes: ['openid', 'offline_access', 'process_read'],
  findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
  // Every use of a refresh token returns a new one, as Gatehouse always does;
  // a used one presented again revokes the grant.
  rotateRefreshToken: true,
  // One hour, as Gatehouse's default access token TTL; 30 days for refresh
  // tokens and grants, as Gatehouse's refresh tokens.
  ttl: { ClientCredentials: 3600, AccessToken: 3600, RefreshToken: 30 * 86_400, Grant: 30 * 86_400 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // A client may introspect only its own tokens, as at Gatehouse.
      allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) => token.clientId === client.clientId,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx: unknown, indicator: string) => (indicator === opaqueResource
        ? { scope: 'process_read', audience: opaqueResource, accessTokenFormat: 'opaque' }
        : {
          scope: 'process_read',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
    },
  },
});

provider.on('server_error', (_ctx, error) => console.error('server_error', error));
const server = provider.listen(port, '127.0.0.1');

/**
 * A refresh token as oidc-provider's authorization code grant issues it
 * (lib/helpers/grant_common.js, issueTokens) after the user consented to
 * `offline_access` and `process_read` at the API: one grant per token, so
 * that every chain of rotations is its own grant, like Gatehouse's
 * authorizations.
 */
async function mintRefreshToken(): Promise<string> {
  const client = await provider.Client.find(userClientId);
  if (!client) throw new Error(`no client ${userClientId}`);
  const grant = new provider.Grant({ accountId, clientId: userClientId });
  grant.addOIDCScope('offline_access');
  grant.addResourceScope(resource, 'process_read');
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    gty: 'authorization_code',
    resource,
    rotations: 0,
    scope: 'offline_access process_read',
    authTime: Math.floor(Date.now() / 1000),
  });
  return refreshToken.save();
}

// GET /bench/refresh-tokens?n=10 → {"refresh_tokens": [...]} (fresh ones, each on its own grant).
const side = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://side');
  const n = Number(url.searchParams.get('n') ?? '1');
  if (request.method !== 'GET' || url.pathname !== '/bench/refresh-tokens' || !Number.isInteger(n) || n < 1 || n > 1000) {
    response.writeHead(404).end();
    return;
  }
  Promise.all(Array.from({ length: n }, mintRefreshToken)).then(
    (tokens) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refresh_tokens: tokens })),
    (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(error.stack ?? String(error)),
  );
});
side.listen(sidePort, '127.0.0.1');

process.once('SIGTERM', () => {
  side.close();
  server.close(() => process.exit(0));
});
