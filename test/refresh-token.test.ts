// The refresh_token grant (RFC 6749 §6) with rotation and reuse detection
// (RFC 9700 §4.14.2), scope narrowing, and the grace window for concurrent refreshes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { quietAudit, SYSTEM } from './support/audit.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { apiRequest, assertOAuthError, type JsonResponse } from './support/http.ts';
import { passwordClient, refresh, userTokens, within, type UserTokenPair } from './support/user-tokens.ts';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { ClientService, OPERATOR } from '../src/client/client-service.ts';
import { RevocationList } from '../src/oauth/tokens/revocation-list.ts';

let server: TestServer;

before(async () => {
  // Most tests here check reuse detection at its strictest: no grace at all.
  server = await startServer({ env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
});
after(() => server?.stop());

/** A user with a process in their workspace, and a password+refresh client. */
async function setUp(target = server) {
  const user = await createUser(target);
  const process = await createProcess(target, user.email);
  const client = await passwordClient(target, user.email);
  return { user, process, client };
}

const apiStatus = async (target: TestServer, processId: string, token: string) =>
  (await apiRequest(target, `/api/v1/processes/${processId}`, token)).status;

function assertRefreshed(response: JsonResponse): UserTokenPair {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.body.token_type, 'Bearer');
  assert.equal(typeof response.body.access_token, 'string');
  assert.match(response.body.refresh_token as string, /^ghr_/);
  return response.body as unknown as UserTokenPair;
}

test('every refresh returns a new refresh token and a working access token', async () => {
  const { user, process, client } = await setUp();
  const first = await userTokens(server, client, user);
  const second = assertRefreshed(await refresh(server, client, first.refresh_token!));
  const third = assertRefreshed(await refresh(server, client, second.refresh_token!));
  assert.equal(new Set([first.refresh_token, second.refresh_token, third.refresh_token]).size, 3);
  assert.notEqual(second.access_token, first.access_token);
  assert.equal(await apiStatus(server, process.id, second.access_token), 200);
  assert.equal(await apiStatus(server, process.id, third.access_token), 200);
});

test('a rotated refresh token fails, and its reuse revokes the whole family', async () => {
  const { user, process, client } = await setUp();
  const first = await userTokens(server, client, user);
  const second = assertRefreshed(await refresh(server, client, first.refresh_token!));
  const third = assertRefreshed(await refresh(server, client, second.refresh_token!));
  assert.equal(await apiStatus(server, process.id, third.access_token), 200);

  assertOAuthError(await refresh(server, client, first.refresh_token!), 400, 'invalid_grant');
  // The newest refresh token and every access token of the family are dead too.
  assertOAuthError(await refresh(server, client, third.refresh_token!), 400, 'invalid_grant');
  for (const token of [first, second, third]) assert.equal(await apiStatus(server, process.id, token.access_token), 401);

  // Another sign-in is a new family and works.
  const again = await userTokens(server, client, user);
  assert.equal(await apiStatus(server, process.id, again.access_token), 200);
  assertRefreshed(await refresh(server, client, again.refresh_token!));
});

test('a refresh may narrow the scope; the next refresh token keeps the original scope (RFC 6749 §6)', async () => {
  const { user, process, client } = await setUp();
  const first = await userTokens(server, client, user);
  assert.equal(first.scope, 'process_read process');

  const narrowed = assertRefreshed(await refresh(server, client, first.refresh_token!, { scope: 'process_read' }));
  assert.equal(narrowed.scope, 'process_read');
  assert.equal(await apiStatus(server, process.id, narrowed.access_token), 200);
  const write = await apiRequest(server, '/api/v1/processes', narrowed.access_token, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }),
  });
  assert.equal(write.status, 403, 'the narrowed token cannot write');

  const restored = assertRefreshed(await refresh(server, client, narrowed.refresh_token!));
  assert.equal(restored.scope, 'process_read process');
});

test('after the app loses a scope, the next refresh no longer carries it', async () => {
  const { user, client } = await setUp();
  const first = await userTokens(server, client, user);
  assert.equal(first.scope, 'process_read process');
  // Changed from another process, as the portal or CLI of another node would: through the service, which tells every node.
  const store = KyselyStore.open(server.env.DATABASE_URL!);
  try {
    const clients = new ClientService(store, { revocations: new RevocationList(store), accessTokenTtl: 3600, audit: quietAudit(store) });
    const current = await clients.require(client.client_id);
    await clients.update(client.client_id, { name: current.name, redirectUris: current.redirectUris, grantTypes: current.grantTypes, scopes: ['process_read'] }, OPERATOR, SYSTEM);
  } finally {
    await store.close();
  }
  // The server drops its cached copy when it next polls the change feed (every second).
  await new Promise((r) => setTimeout(r, 1_500));
  const refreshed = assertRefreshed(await refresh(server, client, first.refresh_token!));
  assert.equal(refreshed.scope, 'process_read');
  // Asking only for the lost scope leaves nothing to grant.
  assertOAuthError(await refresh(server, client, refreshed.refresh_token!, { scope: 'process' }), 400, 'invalid_scope');
});

test('a refresh cannot widen the scope: invalid_scope, and the token still works', async () => {
  const { user, client } = await setUp();
  const first = await userTokens(server, client, user, { scope: 'process_read' });
  assert.equal(first.scope, 'process_read');
  assertOAuthError(await refresh(server, client, first.refresh_token!, { scope: 'process_read process' }), 400, 'invalid_scope');
  assertOAuthError(await refresh(server, client, first.refresh_token!, { scope: 'process' }), 400, 'invalid_scope');
  assert.equal(assertRefreshed(await refresh(server, client, first.refresh_token!)).scope, 'process_read');
});

test("another client's refresh token: invalid_grant, and it stays usable by its own client", async () => {
  const { user, client } = await setUp();
  const other = await passwordClient(server, user.email);
  const tokens = await userTokens(server, client, user);
  assertOAuthError(await refresh(server, other, tokens.refresh_token!), 400, 'invalid_grant');
  assertRefreshed(await refresh(server, client, tokens.refresh_token!));
});

test("a token with a family's handle but another secret is taken for an old one: the family is revoked", async () => {
  const { user, process, client } = await setUp();
  const tokens = await userTokens(server, client, user);
  const token = tokens.refresh_token!;
  // ghr_ + 22 characters of handle + 43 of secret.
  assert.match(token, /^ghr_[A-Za-z0-9_-]{65}$/);
  const forged = `${token.slice(0, 4 + 22)}${'A'.repeat(43)}`;
  assertOAuthError(await refresh(server, client, forged), 400, 'invalid_grant');
  assertOAuthError(await refresh(server, client, token), 400, 'invalid_grant');
  assert.equal(await apiStatus(server, process.id, tokens.access_token), 401);
});

test('unknown, missing and malformed refresh tokens', async () => {
  const { client } = await setUp();
  assertOAuthError(await refresh(server, client, 'ghr_not-a-real-token'), 400, 'invalid_grant');
  assertOAuthError(await refresh(server, client, 'garbage'), 400, 'invalid_grant');
  assertOAuthError(await refresh(server, client, ''), 400, 'invalid_request');
});

test('with the grace turned off (0), a second concurrent refresh fails and revokes the family', async () => {
  const { user, process, client } = await setUp();
  const first = await userTokens(server, client, user);
  const results = await Promise.all([refresh(server, client, first.refresh_token!), refresh(server, client, first.refresh_token!)]);
  const won = results.filter((r) => r.status === 200);
  const lost = results.filter((r) => r.status !== 200);
  assert.equal(won.length, 1, results.map((r) => r.text).join('\n'));
  assert.equal(lost.length, 1);
  assertOAuthError(lost[0]!, 400, 'invalid_grant');

  const winner = won[0]!.body as unknown as UserTokenPair;
  assertOAuthError(await refresh(server, client, winner.refresh_token!), 400, 'invalid_grant');
  assert.equal(await apiStatus(server, process.id, winner.access_token), 401);
  assert.equal(await apiStatus(server, process.id, first.access_token), 401);
});

test('the default grace (10 s): 20 concurrent refreshes of one token all succeed with one successor, and the family lives', async (t) => {
  const graceful = await startServer();
  t.after(() => graceful.stop());
  const user = await createUser(graceful);
  const client = await passwordClient(graceful, user.email);
  const process = await createProcess(graceful, user.email);
  const first = await userTokens(graceful, client, user);
  const results = await Promise.all(Array.from({ length: 20 }, () => refresh(graceful, client, first.refresh_token!)));
  for (const result of results) assert.equal(result.status, 200, result.text);
  const successors = new Set(results.map((r) => (r.body as unknown as UserTokenPair).refresh_token));
  assert.equal(successors.size, 1, 'one successor, no fork');
  for (const result of results) assert.equal(await apiStatus(graceful, process.id, (result.body as unknown as UserTokenPair).access_token), 200);
  const [successor] = successors;
  const next = await refresh(graceful, client, successor!);
  assert.equal(next.status, 200, 'the family lives on');
});

test('GATEHOUSE_REFRESH_GRACE_SECONDS=5: concurrent refreshes both succeed with the same new refresh token; the token before last is reuse', async (t) => {
  const graceful = await startServer({ env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '5' } });
  t.after(() => graceful.stop());
  const { user, process, client } = await setUp(graceful);
  const first = await userTokens(graceful, client, user);
  const results = await Promise.all([refresh(graceful, client, first.refresh_token!), refresh(graceful, client, first.refresh_token!)]);
  const [a, b] = results.map(assertRefreshed) as [UserTokenPair, UserTokenPair];
  // The family does not fork: a retry within the window gets the token the first refresh got.
  assert.equal(a.refresh_token, b.refresh_token);
  assert.notEqual(a.refresh_token, first.refresh_token);
  assert.notEqual(a.access_token, b.access_token);
  assert.equal(await apiStatus(graceful, process.id, a.access_token), 200);
  assert.equal(await apiStatus(graceful, process.id, b.access_token), 200);
  const next = assertRefreshed(await refresh(graceful, client, a.refresh_token!));
  // The token before last is outside any grace: presenting it now is reuse.
  assertOAuthError(await refresh(graceful, client, first.refresh_token!), 400, 'invalid_grant');
  assert.equal(await apiStatus(graceful, process.id, next.access_token), 401);

  assertOAuthError(await refresh(graceful, client, next.refresh_token!), 400, 'invalid_grant');
});

test('GATEHOUSE_REFRESH_GRACE_SECONDS=2: the token just replaced works until the window closes, then it is reuse', async (t) => {
  const graceful = await startServer({ env: { GATEHOUSE_REFRESH_GRACE_SECONDS: '2' } });
  t.after(() => graceful.stop());
  const { user, process, client } = await setUp(graceful);
  const first = await userTokens(graceful, client, user);
  const second = assertRefreshed(await refresh(graceful, client, first.refresh_token!));
  const retried = assertRefreshed(await refresh(graceful, client, first.refresh_token!));
  assert.equal(retried.refresh_token, second.refresh_token);
  await new Promise((resolve) => setTimeout(resolve, 2_200));
  assertOAuthError(await refresh(graceful, client, first.refresh_token!), 400, 'invalid_grant');
  assertOAuthError(await refresh(graceful, client, second.refresh_token!), 400, 'invalid_grant');
  assert.equal(await apiStatus(graceful, process.id, second.access_token), 401);
});

test('a client without the refresh_token grant gets no refresh token', async () => {
  const { user, process } = await setUp();
  const client = await createClient(server, user.email, '--grant', 'password');
  const tokens = await userTokens(server, client, user);
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(await apiStatus(server, process.id, tokens.access_token), 200);
  // Nor may it use the grant with another client's token.
  const refresher = await passwordClient(server, user.email);
  const theirs = await userTokens(server, refresher, user);
  assertOAuthError(await refresh(server, client, theirs.refresh_token!), 400, 'unauthorized_client');
});

test('disabling the user (by the CLI, another process) ends their refresh tokens, one just rotated here included', async () => {
  const { user, process } = await setUp();
  // An app someone else registered: disabling the user stops the apps they own too, and whether
  // the server has heard that yet (invalid_client) or not (invalid_grant) would be a race.
  const client = await passwordClient(server, (await createUser(server)).email);
  const fresh = await userTokens(server, client, user);
  const first = await userTokens(server, client, user);
  const rotated = assertRefreshed(await refresh(server, client, first.refresh_token!));
  const disabled = await server.cli('users', 'disable', '--email', user.email);
  assert.equal(disabled.code, 0, disabled.stderr);
  for (const token of [fresh.refresh_token!, rotated.refresh_token!]) {
    assertOAuthError(await refresh(server, client, token), 400, 'invalid_grant');
  }
  // Its live access token stops once the CLI's revocation reaches the server (it polls every second).
  assert.notEqual(await within(3_000, async () => (await apiStatus(server, process.id, rotated.access_token)) === 401), null);
  // Enabled again, the user signs in anew; the old families stay ended.
  assert.equal((await server.cli('users', 'enable', '--email', user.email)).code, 0);
  assertOAuthError(await refresh(server, client, rotated.refresh_token!), 400, 'invalid_grant');
  assertRefreshed(await refresh(server, client, (await userTokens(server, client, user)).refresh_token!));
});

test('two servers on one store: a token one of them rotated is reuse at the other, and revokes the family there too', async (t) => {
  const other = await startServer({ env: { DATABASE_URL: server.env.DATABASE_URL!, GATEHOUSE_REFRESH_GRACE_SECONDS: '0' } });
  t.after(() => other.stop());
  const { user, client } = await setUp();
  const first = await userTokens(server, client, user);
  const second = assertRefreshed(await refresh(server, client, first.refresh_token!));
  const third = assertRefreshed(await refresh(other, client, second.refresh_token!));
  // The first server issued `second` last, but the other has rotated it since.
  assertOAuthError(await refresh(server, client, second.refresh_token!), 400, 'invalid_grant');
  assertOAuthError(await refresh(other, client, third.refresh_token!), 400, 'invalid_grant');
  assertOAuthError(await refresh(server, client, third.refresh_token!), 400, 'invalid_grant');
});
