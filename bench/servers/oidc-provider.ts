// oidc-provider 9 set up for the client credentials grant with ES256 JWT
// access tokens (RFC 9068), for comparison with Gatehouse's token endpoint.
// Env: PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET.
import { generateKeyPairSync } from 'node:crypto';
import { Provider } from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret';
const issuer = `http://127.0.0.1:${port}`;
const resource = `${issuer}/api`;

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
// oidc-provider insists on an RS256 key: without one the client is rejected
// with "id_token_signed_response_alg must be 'ES256'" (RS256 is the default),
// although no ID token is ever issued here.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
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
  }],
  scopes: ['process_read'],
  // One hour, as Gatehouse's default access token TTL.
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
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
process.once('SIGTERM', () => server.close(() => process.exit(0)));
