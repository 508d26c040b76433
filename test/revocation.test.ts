// POST /oauth/revoke (RFC 7009): what is revoked, what is left alone, the
// errors, and a revocation from another process reaching the running server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { RevocationList } from '../src/oauth/tokens/revocation-list.ts';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, assertOAuthError, basicAuthorization, fetchJson, tokenRequest, type JsonResponse } from './support/http.ts';
import { authorizeInBrowser, authorizeUrl, CookieBrowser } from './support/browser-http.ts';
import { passwordClient, refresh, revoke, signWithServerKey, userTokens, within } from './support/user-tokens.ts';

let server: TestServer;
let store: KyselyStore;
let user: { email: string; password: string };
let processId: string;
let app: ClientFixture;
let other: ClientFixture;

before(async () => {
  server = await startServer();
  store = KyselyStore.open(server.env.DATABASE_URL!);
  user = await createUser(server);
  processId = (await createProcess(server, user.email)).id;
  app = await passwordClient(server, user.email);
  other = await passwordClient(server, user.email);
});

after(async () => {
  await store?.close();
  await server?.stop();
});

const apiStatus = async (token: string) => (await apiRequest(server, `/api/v1/processes/${processId}`, token)).status;
const refreshStatus = async (client: ClientFixture, token: string) => (await refresh(server, client, token)).status;
const revocationCount = async () => (await store.revocations.listSince('1970-01-01T00:00:00.000Z', new Date().toISOString())).length;

function assertRevokeOk(response: JsonResponse): void {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.text, '', 'RFC 7009 §2.2: an empty body');
  assert.equal(response.headers.get('cache-control'), 'no-store');
}

test('revoking a refresh token ends its family: the refresh token and its access tokens stop working', async () => {
  const tokens = await userTokens(server, app, user);
  const next = (await refresh(server, app, tokens.refresh_token!)).body as { access_token: string; refresh_token: string };
  assert.equal(await apiStatus(next.access_token), 200);
  assertRevokeOk(await revoke(server, app, { token: next.refresh_token }));
  assertOAuthError(await refresh(server, app, next.refresh_token), 400, 'invalid_grant');
  assert.equal(await apiStatus(next.access_token), 401);
  assert.equal(await apiStatus(tokens.access_token), 401);
});

test('revoking an access token (Basic auth): the API refuses it at once; its refresh token still works', async () => {
  const tokens = await userTokens(server, app, user);
  assert.equal(await apiStatus(tokens.access_token), 200);
  assertRevokeOk(await revoke(server, app, { token: tokens.access_token }, { basic: true }));
  const refused = await apiRequest(server, `/api/v1/processes/${processId}`, tokens.access_token);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, 'invalid_token');
  assert.equal(await refreshStatus(app, tokens.refresh_token!), 200);
});

test('a JSON body works like a form', async () => {
  const tokens = await userTokens(server, app, user);
  assertRevokeOk(await revoke(server, app, { token: tokens.access_token }, { json: true }));
  assert.equal(await apiStatus(tokens.access_token), 401);
});

test('revoking the same access token twice: 200 both times, one entry', async () => {
  const tokens = await userTokens(server, app, user);
  const before = await revocationCount();
  assertRevokeOk(await revoke(server, app, { token: tokens.access_token }));
  assertRevokeOk(await revoke(server, app, { token: tokens.access_token }));
  assert.equal(await revocationCount(), before + 1);
});

test('unknown and malformed tokens: 200 with an empty body, and nothing is revoked', async () => {
  const tokens = await userTokens(server, app, user);
  const before = await revocationCount();
  const forged = tokens.access_token.slice(0, -4) + (tokens.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  for (const token of ['nope', 'ghr_no-such-token', 'a.b.c', forged, tokens.refresh_token!.slice(0, -1), 'x'.repeat(4000)]) {
    assertRevokeOk(await revoke(server, app, { token }));
  }
  assert.equal(await revocationCount(), before);
  assert.equal(await apiStatus(tokens.access_token), 200);
  assert.equal(await refreshStatus(app, tokens.refresh_token!), 200);
});

test("another client's tokens: 200, and nothing is revoked", async () => {
  const tokens = await userTokens(server, app, user);
  const before = await revocationCount();
  assertRevokeOk(await revoke(server, other, { token: tokens.access_token }));
  assertRevokeOk(await revoke(server, other, { token: tokens.refresh_token! }));
  assert.equal(await revocationCount(), before);
  assert.equal(await apiStatus(tokens.access_token), 200);
  assert.equal(await refreshStatus(app, tokens.refresh_token!), 200);
});

test('an expired access token: 200, and nothing is recorded', async () => {
  const claims = decodeJwt((await userTokens(server, app, user)).access_token);
  const now = Math.floor(Date.now() / 1000);
  const expired = await signWithServerKey(store, { ...claims, jti: `expired-${now}`, iat: now - 7200, exp: now - 3600 });
  const before = await revocationCount();
  assertRevokeOk(await revoke(server, app, { token: expired }));
  assert.equal(await revocationCount(), before);
});

test('token_type_hint is only a hint: a wrong or unknown hint still finds the token', async () => {
  const a = await userTokens(server, app, user);
  assertRevokeOk(await revoke(server, app, { token: a.access_token, token_type_hint: 'refresh_token' }));
  assert.equal(await apiStatus(a.access_token), 401);

  const b = await userTokens(server, app, user);
  assertRevokeOk(await revoke(server, app, { token: b.refresh_token!, token_type_hint: 'access_token' }));
  assert.equal(await refreshStatus(app, b.refresh_token!), 400);

  const c = await userTokens(server, app, user);
  assertRevokeOk(await revoke(server, app, { token: c.access_token, token_type_hint: 'id_token' }));
  assert.equal(await apiStatus(c.access_token), 401);
});

test('no token: 400 invalid_request', async () => {
  assertOAuthError(await revoke(server, app, {}), 400, 'invalid_request');
  assertOAuthError(await revoke(server, app, { token: '' }), 400, 'invalid_request');
  const notAString = await fetchJson(`${server.url}/oauth/revoke`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret, token: { value: 1 } }),
  });
  assertOAuthError(notAString, 400, 'invalid_request');
});

test('bad client authentication: 401 invalid_client, and nothing is revoked', async () => {
  const tokens = await userTokens(server, app, user);
  const token = tokens.access_token;
  const wrongSecret = await revoke(server, null, { client_id: app.client_id, client_secret: 'gcs_wrong', token });
  assertOAuthError(wrongSecret, 401, 'invalid_client');
  assertOAuthError(await revoke(server, null, { client_id: 'no-such-client', client_secret: 'x', token }), 401, 'invalid_client');
  assertOAuthError(await revoke(server, null, { token }), 401, 'invalid_client');
  // A confidential client must use its secret.
  assertOAuthError(await revoke(server, null, { client_id: app.client_id, token }), 401, 'invalid_client');
  const basic = await fetchJson(`${server.url}/oauth/revoke`, {
    method: 'POST',
    headers: { authorization: basicAuthorization(app.client_id, 'gcs_wrong'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  assertOAuthError(basic, 401, 'invalid_client');
  assert.match(basic.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.equal(await apiStatus(token), 200);
});

test('a public client revokes its refresh token with its client_id alone', async () => {
  const callback = 'https://public.example.com/cb';
  const publicApp = await createClient(server, user.email, '--public', '--redirect-uri', callback);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const { callback: back } = await authorizeInBrowser(new CookieBrowser(server.url), authorizeUrl(server, {
    response_type: 'code', client_id: publicApp.client_id, redirect_uri: callback, scope: 'process_read',
    state: 's', code_challenge: challenge, code_challenge_method: 'S256',
  }), user);
  const exchanged = await tokenRequest(server, {
    grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: callback, client_id: publicApp.client_id, code_verifier: verifier,
  });
  assert.equal(exchanged.status, 200, exchanged.text);
  const refreshToken = exchanged.body.refresh_token as string;

  // Another public client cannot revoke it.
  const stranger = await createClient(server, user.email, '--public', '--redirect-uri', callback);
  assertRevokeOk(await revoke(server, stranger, { token: refreshToken }));
  assertRevokeOk(await revoke(server, publicApp, { token: refreshToken }));
  const after = await tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: publicApp.client_id });
  assertOAuthError(after, 400, 'invalid_grant');
  assert.equal(await apiStatus(exchanged.body.access_token as string), 401);
});

test('a revocation written by another process reaches the running server within 2 s', async () => {
  const { access_token: token } = await userTokens(server, app, user);
  assert.equal(await apiStatus(token), 200);
  const { jti, exp } = decodeJwt(token);
  // A second node (or the CLI): its own store connection and revocation list, no polling.
  const elsewhere = KyselyStore.open(server.env.DATABASE_URL!);
  try {
    await new RevocationList(elsewhere).revoke('jti', jti!, exp! - Math.floor(Date.now() / 1000));
  } finally {
    await elsewhere.close();
  }
  const took = await within(3_000, async () => (await apiStatus(token)) === 401);
  assert.ok(took !== null, 'the server refused the token');
  assert.ok(took <= 2_000, `the revocation took ${took} ms to arrive`);
});
