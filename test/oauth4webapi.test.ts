// The client-credentials flow through oauth4webapi, a strict, certified OAuth
// client: discovery, both secret methods, RFC 9068 token validation and the
// protected-resource call. Only plain http on localhost is allowed here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';

const insecure = { [oauth.allowInsecureRequests]: true };

let server: TestServer;
let app: ClientFixture;
let readOnly: ClientFixture;
let processId: string;
let as: oauth.AuthorizationServer;

before(async () => {
  server = await startServer();
  const { email } = await createUser(server);
  app = await createClient(server, email, '--redirect-uri', 'https://app.example.com/callback');
  readOnly = await createClient(server, email, '--scope', 'process_read');
  processId = (await createProcess(server, email, 'Quarterly close')).id;
  as = await discover();
});

async function discover(): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.url);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

after(() => server?.stop());

test('discovery: RFC 8414 metadata with an issuer matching its URL', async () => {
  const metadata = await discover();
  assert.equal(metadata.issuer, server.url);
  assert.equal(metadata.token_endpoint, `${server.url}/oauth/token`);
  assert.equal(metadata.jwks_uri, `${server.url}/.well-known/jwks.json`);
  assert.ok(metadata.grant_types_supported?.includes('client_credentials'));
});

async function clientCredentials(client: ClientFixture, auth: oauth.ClientAuth, scope?: string): Promise<oauth.TokenEndpointResponse> {
  const parameters = new URLSearchParams(scope ? { scope } : {});
  const response = await oauth.clientCredentialsGrantRequest(as, { client_id: client.client_id }, auth, parameters, insecure);
  return oauth.processClientCredentialsResponse(as, { client_id: client.client_id }, response);
}

async function getProcess(accessToken: string): Promise<Response> {
  return oauth.protectedResourceRequest(accessToken, 'GET', new URL(`/api/v1/processes/${processId}`, server.url), undefined, undefined, insecure);
}

async function assertValidAccessToken(accessToken: string, client: ClientFixture): Promise<oauth.JWTAccessTokenClaims> {
  const request = new Request(`${server.url}/api/v1/processes/${processId}`, { headers: { authorization: `Bearer ${accessToken}` } });
  const claims = await oauth.validateJwtAccessToken(as, request, `${server.url}/api`, { ...insecure, signingAlgorithms: ['ES256'] });
  assert.equal(claims.iss, server.url);
  assert.equal(claims.client_id, client.client_id);
  assert.equal(claims.sub, client.client_id);
  return claims;
}

test('client_secret_basic: token, RFC 9068 validation, then the process', async () => {
  const tokens = await clientCredentials(app, oauth.ClientSecretBasic(app.client_secret!));
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(typeof tokens.expires_in, 'number');
  assert.ok(tokens.expires_in! > 0);
  assert.deepEqual(tokens.scope?.split(' ').sort(), ['process', 'process_read']);
  await assertValidAccessToken(tokens.access_token, app);

  const response = await getProcess(tokens.access_token);
  assert.equal(response.status, 200);
  const process = (await response.json()) as { id: string; name: string };
  assert.equal(process.id, processId);
  assert.equal(process.name, 'Quarterly close');
});

test('client_secret_post with a narrower scope', async () => {
  const tokens = await clientCredentials(app, oauth.ClientSecretPost(app.client_secret!), 'process_read');
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'process_read');
  const claims = await assertValidAccessToken(tokens.access_token, app);
  assert.equal(claims.scope, 'process_read');
  assert.equal((await getProcess(tokens.access_token)).status, 200);
});

test('a wrong secret is reported as an OAuth error the library understands', async () => {
  // client_secret_post: a plain RFC 6749 §5.2 error body.
  const post = await clientCredentials(app, oauth.ClientSecretPost('gcs_wrong')).then(
    () => assert.fail('a wrong secret must be refused'),
    (error: unknown) => error,
  );
  assert.ok(post instanceof oauth.ResponseBodyError, String(post));
  assert.equal(post.status, 401);
  assert.equal(post.error, 'invalid_client');
  assert.equal(typeof post.error_description, 'string');

  // client_secret_basic: RFC 6749 §5.2 adds a Basic challenge, which the library surfaces first.
  const basic = await clientCredentials(app, oauth.ClientSecretBasic('gcs_wrong')).then(
    () => assert.fail('a wrong secret must be refused'),
    (error: unknown) => error,
  );
  assert.ok(basic instanceof oauth.WWWAuthenticateChallengeError, String(basic));
  assert.equal(basic.status, 401);
  assert.equal(basic.cause[0]?.scheme, 'basic');
  assert.equal(((await basic.response.json()) as { error: string }).error, 'invalid_client');
});

test('a scope the client may not have is reported as invalid_scope', async () => {
  const rejection = await clientCredentials(readOnly, oauth.ClientSecretPost(readOnly.client_secret!), 'process').then(
    () => assert.fail('the scope must be refused'),
    (error: unknown) => error,
  );
  assert.ok(rejection instanceof oauth.ResponseBodyError, String(rejection));
  assert.equal(rejection.status, 400);
  assert.equal(rejection.error, 'invalid_scope');
});

test('the API\'s challenges parse as RFC 6750 WWW-Authenticate challenges', async () => {
  // An invalid token.
  const invalid = await getProcess('not-a-token').then(() => assert.fail('must be refused'), (error: unknown) => error);
  assert.ok(invalid instanceof oauth.WWWAuthenticateChallengeError, String(invalid));
  assert.equal(invalid.status, 401);
  const [challenge] = invalid.cause;
  assert.equal(challenge?.scheme, 'bearer');
  assert.equal(challenge?.parameters.error, 'invalid_token');

  // Too little scope for a write.
  const tokens = await clientCredentials(readOnly, oauth.ClientSecretBasic(readOnly.client_secret!));
  const write = await oauth.protectedResourceRequest(tokens.access_token, 'POST', new URL('/api/v1/processes', server.url),
    new Headers({ 'content-type': 'application/json' }), JSON.stringify({ name: 'Nope' }), insecure)
    .then(() => assert.fail('must be refused'), (error: unknown) => error);
  assert.ok(write instanceof oauth.WWWAuthenticateChallengeError, String(write));
  assert.equal(write.status, 403);
  assert.equal(write.cause[0]?.parameters.error, 'insufficient_scope');
  assert.equal(write.cause[0]?.parameters.scope, 'process');
});
