// Three nodes on different ports share one PostgreSQL database and behave as
// one: a token from A works on B and C; an access token, refresh token or PAT
// revoked on A is refused by B and C within a second (the revocation travels
// by LISTEN/NOTIFY; the lag is measured and reported); a secret rotated on C
// authenticates on A at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from './support/server.ts';
import { clientCredentialsToken, createClient, createProcess, createUser } from './support/fixtures.ts';
import { passwordClient, refresh, revoke, userTokens } from './support/user-tokens.ts';

const postgres = Boolean(process.env.TEST_DATABASE_URL);

const percentile = (values: number[], p: number) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;

test('three nodes on one PostgreSQL: tokens work everywhere, revocations reach every node within a second, a rotated secret works at once', { skip: postgres ? false : 'PostgreSQL only (TEST_DATABASE_URL)', timeout: 120_000 }, async (t) => {
  // Behind one load balancer, every node has the same public URL: the issuer of its tokens.
  const issuer = 'https://gatehouse.example.test';
  const a = await startServer({ env: { GATEHOUSE_ISSUER: issuer } });
  const shared = { DATABASE_URL: a.env.DATABASE_URL!, GATEHOUSE_ISSUER: issuer };
  const [b, c] = await Promise.all([startServer({ env: shared }), startServer({ env: shared })]);
  t.after(() => Promise.all([b.stop(), c.stop()]).then(() => a.stop()));
  const others = [b, c];

  const user = await createUser(a);
  const client = await createClient(a, user.email, '--grant', 'client_credentials', '--scope', 'process_read');
  const { id: processId } = await createProcess(a, user.email);
  const get = (server: TestServer, token: string) => fetch(`${server.url}/api/v1/processes/${processId}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  /** Polls every node until each refuses `token`; the time until the last did, ms. */
  const refusedEverywhere = async (token: string, since: number) => {
    const times = await Promise.all(others.map(async (node) => {
      while (Date.now() - since < 3000) {
        if ((await get(node, token)) === 401) return Date.now() - since;
        await sleep(5);
      }
      return Infinity;
    }));
    return Math.max(...times);
  };

  // A token from A works on B and C.
  const first = await clientCredentialsToken(a, client);
  for (const node of [a, b, c]) assert.equal(await get(node, first), 200);

  // Access tokens revoked on A: each is refused by B and C within a second.
  const lags: number[] = [];
  for (let i = 0; i < 20; i++) {
    const token = await clientCredentialsToken(a, client);
    for (const node of others) assert.equal(await get(node, token), 200, 'known (and cached) on the other nodes first');
    const since = Date.now();
    assert.equal((await revoke(a, client, { token })).status, 200);
    lags.push(await refusedEverywhere(token, since));
  }
  t.diagnostic(`revocation lag across nodes over ${lags.length} revocations: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms`);
  assert.ok(Math.max(...lags) < 1000, `every revocation reached B and C within 1 s: ${lags.join(', ')}`);

  // A PAT revoked on A.
  const pat = (await a.cliJson<{ token: string; id: string }>('tokens', 'create', '--user', user.email, '--name', 'cluster', '--scope', 'process_read'));
  for (const node of others) assert.equal(await get(node, pat.token), 200);
  let since = Date.now();
  const deleted = await fetch(`${a.url}/api/v1/users/me/tokens/${pat.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${pat.token}` } });
  assert.equal(deleted.status, 204);
  const patLag = await refusedEverywhere(pat.token, since);
  assert.ok(patLag < 1000, `the PAT was refused everywhere after ${patLag} ms`);

  // A refresh token revoked on A cannot be used on B or C.
  const app = await passwordClient(a, user.email);
  const pair = await userTokens(a, app, user);
  const refreshToken = pair.refresh_token!;
  assert.equal((await revoke(a, app, { token: refreshToken })).status, 200);
  for (const node of others) assert.equal((await refresh(node, app, refreshToken)).body.error, 'invalid_grant');
  since = Date.now();
  assert.ok((await refusedEverywhere(pair.access_token, since - 1)) < 1000, 'nor its access token');

  // A secret rotated on C (no grace) authenticates on A at once; the old one stops.
  const rotated = await c.cliJson<{ client_secret: string }>('clients', 'rotate-secret', client.client_id, '--grace', '0');
  const onA = await fetch(`${a.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: rotated.client_secret }) });
  assert.equal(onA.status, 200, 'the new secret works on A at once');
  since = Date.now();
  let oldRefused = Infinity;
  while (Date.now() - since < 3000) {
    const old = await fetch(`${a.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }) });
    if (old.status === 401) {
      oldRefused = Date.now() - since;
      break;
    }
    await sleep(10);
  }
  assert.ok(oldRefused < 1000, `the old secret was refused on A after ${oldRefused} ms`);
});
