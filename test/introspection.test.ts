// POST /oauth/introspect (RFC 7662): the answer for live tokens, {active:false}
// for everything else, and who may ask.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { startServer, type TestServer } from './support/server.ts';
import { clientCredentialsToken, createClient, createUser, type ClientFixture } from './support/fixtures.ts';
import { assertOAuthError, type JsonResponse } from './support/http.ts';
import { introspect, passwordClient, refresh, revoke, signWithServerKey, userTokens } from './support/user-tokens.ts';

const REFRESH_TTL = 86_400;

let server: TestServer;
let store: KyselyStore;
let user: { email: string; password: string };
let app: ClientFixture;
let other: ClientFixture;

before(async () => {
  server = await startServer({ env: { GATEHOUSE_REFRESH_TOKEN_TTL: String(REFRESH_TTL), GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
  store = KyselyStore.open(server.env.DATABASE_URL!);
  user = await createUser(server);
  app = await passwordClient(server, user.email);
  other = await passwordClient(server, user.email);
});

after(async () => {
  await store?.close();
  await server?.stop();
});

function answer(response: JsonResponse): Record<string, unknown> {
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return response.body;
}

const assertInactive = (response: JsonResponse, why: string) =>
  assert.deepEqual(answer(response), { active: false }, `${why}: only active:false`);

test('a live access token: active, with its claims', async () => {
  const tokens = await userTokens(server, app, user);
  const claims = decodeJwt(tokens.access_token);
  const body = answer(await introspect(server, app, { token: tokens.access_token }));
  assert.deepEqual(body, {
    active: true,
    scope: 'process_read process',
    client_id: app.client_id,
    sub: claims.sub,
    exp: claims.exp,
    iat: claims.iat,
    iss: server.url,
    aud: `${server.url}/api`,
    jti: claims.jti,
    token_type: 'Bearer',
  });
  assert.match(body.sub as string, /^u-/, 'the subject is the user');
});

test('a live refresh token: active, with scope, client, user and lifetime but no token_type', async () => {
  const tokens = await userTokens(server, app, user, { scope: 'process_read' });
  const body = answer(await introspect(server, app, { token: tokens.refresh_token! }, { basic: true }));
  const now = Math.floor(Date.now() / 1000);
  assert.deepEqual(Object.keys(body).sort(), ['active', 'client_id', 'exp', 'iat', 'iss', 'scope', 'sub']);
  assert.equal(body.active, true);
  assert.equal(body.scope, 'process_read');
  assert.equal(body.client_id, app.client_id);
  assert.equal(body.sub, decodeJwt(tokens.access_token).sub);
  assert.equal(body.iss, server.url);
  assert.ok(Math.abs((body.iat as number) - now) <= 60, `iat ${String(body.iat)}`);
  assert.ok(Math.abs((body.exp as number) - (now + REFRESH_TTL)) <= 60, `exp ${String(body.exp)}`);
});

test("a client-credentials token introspected by its own client: the client is the subject", async () => {
  const cc = await createClient(server, user.email);
  const token = await clientCredentialsToken(server, cc);
  const body = answer(await introspect(server, cc, { token }, { json: true }));
  assert.equal(body.active, true);
  assert.equal(body.sub, cc.client_id);
  assert.equal(body.client_id, cc.client_id);
});

test('unknown, malformed and expired tokens: {active:false}', async () => {
  const access = (await userTokens(server, app, user)).access_token;
  const now = Math.floor(Date.now() / 1000);
  const expired = await signWithServerKey(store, { ...decodeJwt(access), iat: now - 7200, exp: now - 3600 });
  const tampered = access.slice(0, -4) + (access.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  for (const token of ['nope', 'ghr_no-such-token', 'a.b.c', 'a..c', '.b.c', 'a.b.', 'a.b.c.d', '..', 'a!.b?.c$', tampered, expired, 'x'.repeat(4000)]) {
    assertInactive(await introspect(server, app, { token }), token.slice(0, 20));
  }
});

test('revoked access and refresh tokens: {active:false}', async () => {
  const a = await userTokens(server, app, user);
  await revoke(server, app, { token: a.access_token });
  assertInactive(await introspect(server, app, { token: a.access_token }), 'revoked access token');
  assert.equal(answer(await introspect(server, app, { token: a.refresh_token! })).active, true, 'its refresh token lives on');

  const b = await userTokens(server, app, user);
  await revoke(server, app, { token: b.refresh_token! });
  assertInactive(await introspect(server, app, { token: b.refresh_token! }), 'revoked refresh token');
  assertInactive(await introspect(server, app, { token: b.access_token }), 'the access token of a revoked family');
});

test('a rotated refresh token is inactive and its successor active; reuse makes the whole family inactive', async () => {
  const first = await userTokens(server, app, user);
  const second = (await refresh(server, app, first.refresh_token!)).body as { access_token: string; refresh_token: string };
  assertInactive(await introspect(server, app, { token: first.refresh_token! }), 'rotated');
  assert.equal(answer(await introspect(server, app, { token: second.refresh_token })).active, true);

  assertOAuthError(await refresh(server, app, first.refresh_token!), 400, 'invalid_grant');
  assertInactive(await introspect(server, app, { token: second.refresh_token }), 'family revoked by reuse');
  assertInactive(await introspect(server, app, { token: second.access_token }), 'family revoked by reuse');
});

test("another client's tokens: {active:false}", async () => {
  const tokens = await userTokens(server, app, user);
  assertInactive(await introspect(server, other, { token: tokens.access_token }), 'access token');
  assertInactive(await introspect(server, other, { token: tokens.refresh_token! }), 'refresh token');
  assert.equal(answer(await introspect(server, app, { token: tokens.access_token })).active, true);
});

test('token_type_hint is only a hint: a wrong or unknown hint still finds the token', async () => {
  const tokens = await userTokens(server, app, user);
  assert.equal(answer(await introspect(server, app, { token: tokens.access_token, token_type_hint: 'refresh_token' })).active, true);
  assert.equal(answer(await introspect(server, app, { token: tokens.refresh_token!, token_type_hint: 'access_token' })).active, true);
  assert.equal(answer(await introspect(server, app, { token: tokens.access_token, token_type_hint: 'something_else' })).active, true);
});

test('no token: 400 invalid_request', async () => {
  assertOAuthError(await introspect(server, app, {}), 400, 'invalid_request');
  assertOAuthError(await introspect(server, app, { token: '' }), 400, 'invalid_request');
});

test('public clients and bad credentials: 401 invalid_client', async () => {
  const token = (await userTokens(server, app, user)).access_token;
  const publicApp = await createClient(server, user.email, '--public', '--redirect-uri', 'https://public.example.com/cb');
  assertOAuthError(await introspect(server, publicApp, { token }), 401, 'invalid_client');
  assertOAuthError(await introspect(server, null, { client_id: app.client_id, token }), 401, 'invalid_client');
  assertOAuthError(await introspect(server, null, { client_id: app.client_id, client_secret: 'gcs_wrong', token }), 401, 'invalid_client');
  assertOAuthError(await introspect(server, null, { token }), 401, 'invalid_client');
  const basic = await introspect(server, { ...app, client_secret: 'gcs_wrong' }, { token }, { basic: true });
  assertOAuthError(basic, 401, 'invalid_client');
  assert.match(basic.headers.get('www-authenticate') ?? '', /^Basic /);
});
