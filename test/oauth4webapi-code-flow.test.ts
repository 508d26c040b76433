// The authorization-code flow through oauth4webapi, a strict, certified OAuth
// client: discovery, PKCE S256 and state, validateAuthResponse (which checks
// RFC 9207 `iss`), the code exchange, and a refresh that rotates the token.
// The browser part runs on the HTTP cookie-jar helper.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { authorizeInBrowser, CookieBrowser } from './support/browser-http.ts';

const insecure = { [oauth.allowInsecureRequests]: true };
const CALLBACK = 'https://app.example.com/callback';

let server: TestServer;
let user: { email: string; password: string };
let as: oauth.AuthorizationServer;
let processId: string;

before(async () => {
  server = await startServer();
  user = await createUser(server);
  processId = (await createProcess(server, user.email, 'Vendor onboarding')).id;
  const issuer = new URL(server.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
});

after(() => server?.stop());

interface Authorization {
  callback: URL;
  state: string;
  verifier: string;
}

async function authorize(client: ClientFixture, browser: CookieBrowser, decision: 'approve' | 'deny' = 'approve'): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'process_read', state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }).toString();
  const { callback } = await authorizeInBrowser(browser, url.href, { ...user, decision });
  return { callback, state, verifier };
}

async function exchange(client: ClientFixture, auth: oauth.ClientAuth, authorization: Authorization): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(as, { client_id: client.client_id }, authorization.callback, authorization.state);
  const response = await oauth.authorizationCodeGrantRequest(as, { client_id: client.client_id }, auth, params, CALLBACK, authorization.verifier, insecure);
  return oauth.processAuthorizationCodeResponse(as, { client_id: client.client_id }, response);
}

async function getProcess(accessToken: string): Promise<Response> {
  return oauth.protectedResourceRequest(accessToken, 'GET', new URL(`/api/v1/processes/${processId}`, server.url), undefined, undefined, insecure);
}

test('discovery advertises the code flow, S256 and RFC 9207 iss', () => {
  assert.equal(as.authorization_endpoint, `${server.url}/oauth/authorize`);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
});

test('public client: PKCE code flow, the API, then a refresh that rotates the refresh token', async () => {
  const client = await createClient(server, user.email, '--public', '--redirect-uri', CALLBACK);
  const tokens = await exchange(client, oauth.None(), await authorize(client, new CookieBrowser(server.url)));
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'process_read');
  assert.ok(tokens.refresh_token);
  assert.equal((await getProcess(tokens.access_token)).status, 200);

  const refreshed = await oauth.processRefreshTokenResponse(as, { client_id: client.client_id },
    await oauth.refreshTokenGrantRequest(as, { client_id: client.client_id }, oauth.None(), tokens.refresh_token, insecure));
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal((await getProcess(refreshed.access_token)).status, 200);
});

test('confidential client with client_secret_basic', async () => {
  const client = await createClient(server, user.email, '--redirect-uri', CALLBACK);
  const tokens = await exchange(client, oauth.ClientSecretBasic(client.client_secret!), await authorize(client, new CookieBrowser(server.url)));
  assert.equal((await getProcess(tokens.access_token)).status, 200);
});

test('a denial is an authorization error the library reads, after checking iss', async () => {
  const client = await createClient(server, user.email, '--public', '--redirect-uri', CALLBACK);
  const denied = await authorize(client, new CookieBrowser(server.url), 'deny');
  const error = (() => {
    try {
      oauth.validateAuthResponse(as, { client_id: client.client_id }, denied.callback, denied.state);
    } catch (e) {
      return e;
    }
    return assert.fail('a denial must not validate');
  })();
  assert.ok(error instanceof oauth.AuthorizationResponseError, String(error));
  assert.equal(error.error, 'access_denied');
});

test('a response whose iss is removed or changed is refused by the client', async () => {
  const client = await createClient(server, user.email, '--public', '--redirect-uri', CALLBACK);
  const authorization = await authorize(client, new CookieBrowser(server.url));
  for (const change of [(q: URLSearchParams) => q.delete('iss'), (q: URLSearchParams) => q.set('iss', 'https://evil.example')]) {
    const callback = new URL(authorization.callback);
    change(callback.searchParams);
    assert.throws(() => oauth.validateAuthResponse(as, { client_id: client.client_id }, callback, authorization.state), /iss/);
  }
  // The untouched response validates.
  assert.ok(oauth.validateAuthResponse(as, { client_id: client.client_id }, authorization.callback, authorization.state).get('code'));
});
