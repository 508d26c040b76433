// Keys rotated by the CLI three times under a steady load of token requests
// and API calls across the nodes (three on PostgreSQL, one on SQLite), and an
// outside verifier that caches the JWKS: not one verification fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';

const postgres = Boolean(process.env.TEST_DATABASE_URL);

test(`three rotations under load across ${postgres ? 'three nodes' : 'one node'}: zero failed verifications`, { timeout: 120_000 }, async (t) => {
  const issuer = 'https://gatehouse.example.test';
  const env = { GATEHOUSE_ISSUER: issuer, GATEHOUSE_KEY_PUBLISH_SECONDS: '2' };
  const first = await startServer({ env });
  const nodes: TestServer[] = [first];
  if (postgres) nodes.push(...await Promise.all([1, 2].map(() => startServer({ env: { ...env, DATABASE_URL: first.env.DATABASE_URL! } }))));
  t.after(() => Promise.all(nodes.slice(1).map((n) => n.stop())).then(() => first.stop()));

  const user = await createUser(first);
  const client = await createClient(first, user.email, '--grant', 'client_credentials', '--scope', 'process_read');
  const { id: processId } = await createProcess(first, user.email);

  const failures: string[] = [];
  const kids = new Set<string>();
  let calls = 0;
  let jwks = { keys: [] as JWK[], at: 0 };
  let loading = true;
  const worker = async (w: number) => {
    for (let i = w; loading; i++) {
      const issuing = nodes[i % nodes.length]!;
      const checking = nodes[(i + 1) % nodes.length]!;
      const response = await fetch(`${issuing.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }) });
      if (response.status !== 200) {
        failures.push(`token on node ${i % nodes.length}: ${response.status}`);
        continue;
      }
      const token = ((await response.json()) as { access_token: string }).access_token;
      kids.add(decodeProtectedHeader(token).kid!);
      const read = await fetch(`${checking.url}/api/v1/processes/${processId}`, { headers: { authorization: `Bearer ${token}` } });
      if (read.status !== 200) failures.push(`API on node ${(i + 1) % nodes.length}: ${read.status} ${await read.text()}`);
      // An outside verifier that re-reads the JWKS at most once a second (less than the publish delay).
      if (Date.now() - jwks.at > 1000) jwks = { keys: ((await (await fetch(`${checking.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] }).keys, at: Date.now() };
      await jwtVerify(token, createLocalJWKSet({ keys: jwks.keys }), { issuer, typ: 'at+jwt' }).catch((error: Error) => failures.push(`outside verifier: ${error.message}`));
      calls++;
    }
  };
  const load = Promise.all([0, 1, 2].map(worker));
  for (let rotation = 0; rotation < 3; rotation++) {
    await sleep(1500);
    const result = await nodes[rotation % nodes.length]!.cli('keys', 'rotate', '--json');
    assert.equal(result.code, 0, result.stderr);
  }
  await sleep(3000);
  loading = false;
  await load;
  t.diagnostic(`${calls} token + API + outside verifications, ${kids.size} signing keys seen, ${failures.length} failures`);
  assert.deepEqual(failures, []);
  assert.ok(kids.size >= 3, `tokens were signed by ${kids.size} keys`);
  const listed = await first.cliJson<{ keys: Array<{ status: string }> }>('keys', 'list');
  assert.equal(listed.keys.filter((k) => k.status === 'signing').length, 1);
  assert.equal(listed.keys.length, 4);
});
