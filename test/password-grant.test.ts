// The password grant (RFC 6749 §4.3): only for clients that opt in, throttled
// per account (and per address) even under parallel attempts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { apiRequest, assertOAuthError, fetchJson, tokenRequest, type JsonResponse } from './support/http.ts';
import { passwordClient, passwordGrant } from './support/user-tokens.ts';

let server: TestServer;

before(async () => {
  server = await startServer();
});
after(() => server?.stop());

const throttled = (r: JsonResponse) => r.headers.get('retry-after') !== null;

test('a client with the grant gets a token that acts for the user on the API', async () => {
  const user = await createUser(server);
  const process = await createProcess(server, user.email);
  const client = await passwordClient(server, user.email);
  const response = await passwordGrant(server, client, user);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.body.token_type, 'Bearer');
  assert.equal(response.body.scope, 'process_read process');
  assert.match(response.body.refresh_token as string, /^ghr_/);
  const token = response.body.access_token as string;
  const claims = decodeJwt(token);
  assert.equal(claims.client_id, client.client_id);
  assert.notEqual(claims.sub, client.client_id, 'the subject is the user');

  const read = await apiRequest(server, `/api/v1/processes/${process.id}`, token);
  assert.equal(read.status, 200, read.text);
  const created = await apiRequest(server, '/api/v1/processes', token, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'By the user' }),
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.lastModifiedBy, user.email);
});

test('a client without the password grant: 400 unauthorized_client', async () => {
  const user = await createUser(server);
  const client = await createClient(server, user.email);
  assertOAuthError(await passwordGrant(server, client, user), 400, 'unauthorized_client');
});

test('a wrong password or an unknown user: 400 invalid_grant with one message', async () => {
  const user = await createUser(server);
  const client = await passwordClient(server, user.email);
  const wrong = await passwordGrant(server, client, { ...user, password: 'not the password' });
  assertOAuthError(wrong, 400, 'invalid_grant');
  const unknown = await passwordGrant(server, client, { email: 'nobody@example.test', password: 'whatever' });
  assertOAuthError(unknown, 400, 'invalid_grant');
  assert.equal(unknown.body.error_description, wrong.body.error_description, 'an unknown account is not told apart');
  assertOAuthError(await passwordGrant(server, client, { ...user, password: '' }, { username: '' }), 400, 'invalid_request');
});

test('after 5 wrong passwords the account is throttled: even the right one fails, with retry-after', async () => {
  const user = await createUser(server);
  const other = await createUser(server);
  const client = await passwordClient(server, user.email);
  for (let i = 0; i < 5; i++) {
    const response = await passwordGrant(server, client, { ...user, password: `wrong ${i}` });
    assertOAuthError(response, 400, 'invalid_grant');
    assert.equal(throttled(response), false, `attempt ${i + 1} is not yet throttled`);
  }
  const right = await passwordGrant(server, client, user);
  assertOAuthError(right, 400, 'invalid_grant');
  const retryAfter = Number(right.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `retry-after: ${right.headers.get('retry-after')}`);
  assert.match(right.body.error_description as string, /too many attempts/);
  // The limit is per account: another user on the same address still signs in.
  assert.equal((await passwordGrant(server, client, other)).status, 200);
});

test('parallel wrong attempts cannot get past the limit', async () => {
  const user = await createUser(server);
  const client = await passwordClient(server, user.email);
  const attempts = Array.from({ length: 20 }, (_, i) => passwordGrant(server, client, { ...user, password: `guess ${i}` }));
  const responses = await Promise.all(attempts);
  for (const response of responses) assertOAuthError(response, 400, 'invalid_grant');
  assert.equal(responses.filter((r) => !throttled(r)).length, 5, 'exactly 5 passwords were checked');
  assert.ok(throttled(await passwordGrant(server, client, user)), 'the right password is refused too');
});

test('client_secret without client_id names its client (oauthlib sends that); an unknown secret is refused', async () => {
  const user = await createUser(server);
  const client = await passwordClient(server, user.email);
  const params = { grant_type: 'password', username: user.email, password: user.password };
  const response = await tokenRequest(server, { ...params, client_secret: client.client_secret! });
  assert.equal(response.status, 200, response.text);
  assert.equal(decodeJwt(response.body.access_token as string).client_id, client.client_id);

  assertOAuthError(await tokenRequest(server, { ...params, client_secret: 'gcs_not-a-secret' }), 401, 'invalid_client');
  assertOAuthError(await tokenRequest(server, params), 401, 'invalid_client');
  // A replaced secret names nothing once its grace period is over.
  await server.cliJson('clients', 'rotate-secret', client.client_id);
  assertOAuthError(await tokenRequest(server, { ...params, client_secret: client.client_secret! }), 401, 'invalid_client');
});

test('a form sent without any Content-Type is read as a form (Python requests does that); other types are still refused', async () => {
  const user = await createUser(server);
  const client = await passwordClient(server, user.email);
  const form = new URLSearchParams({ grant_type: 'password', username: user.email, password: user.password, client_secret: client.client_secret! });
  // A byte body makes fetch send no Content-Type at all.
  const untyped = await fetchJson(`${server.url}/oauth/token`, { method: 'POST', body: new TextEncoder().encode(form.toString()) });
  assert.equal(untyped.status, 200, untyped.text);
  assert.equal(typeof untyped.body.access_token, 'string');
  assertOAuthError(await tokenRequest(server, {}, { rawBody: form.toString(), contentType: 'application/xml' }), 400, 'invalid_request');
  // Still strict: a repeated parameter is refused.
  const repeated = await fetchJson(`${server.url}/oauth/token`, { method: 'POST', body: new TextEncoder().encode(`${form}&grant_type=password`) });
  assertOAuthError(repeated, 400, 'invalid_request');
});
