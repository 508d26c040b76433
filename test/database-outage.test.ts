// PostgreSQL goes away under load, twice: stopped (connections refused), then
// frozen (connections accepted, nothing answers). Throughout, every request
// answers within 5 s: 503 with Retry-After, or from cache (tokens and reads
// seen before). /readyz says not ready. The node recovers by itself, with one
// log line per change of state, and no acknowledged write is lost. The
// database is a cluster of the test's own, restarted with pg_ctl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from './support/server.ts';
import { postgresBin, startPrivateCluster } from './support/pg-cluster.ts';
import { clientCredentialsToken, createClient, createProcess, createUser } from './support/fixtures.ts';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL) && postgresBin() !== undefined;

interface Outcome {
  kind: 'token' | 'read' | 'write';
  status: number;
  ms: number;
  retryAfter: string | null;
  id?: string;
  at: number;
}

test('PostgreSQL stopped, then frozen, under load: 503 with Retry-After or answers from cache, never a hang; recovery without a restart; no acknowledged write lost', { skip: !onPostgres, timeout: 120_000 }, async (t) => {
  const cluster = await startPrivateCluster();
  t.after(() => cluster.destroy());
  const server = await startServer({ env: { DATABASE_URL: cluster.url, GATEHOUSE_DATABASE_TIMEOUT_SECONDS: '2' } });
  t.after(() => server.stop());

  const user = await createUser(server);
  const client = await createClient(server, user.email, '--grant', 'client_credentials', '--scope', 'process', '--scope', 'process_read');
  const token = await clientCredentialsToken(server, client, 'process process_read');
  const seen = await createProcess(server, user.email, 'Read all through the outage');
  const auth = { authorization: `Bearer ${token}` };
  assert.equal((await fetch(`${server.url}/api/v1/processes/${seen.id}`, { headers: auth })).status, 200, 'the process is read once, so it is cached');

  const outcomes: Outcome[] = [];
  let loading = true;
  let n = 0;
  const request = async (kind: Outcome['kind']) => {
    const started = Date.now();
    const init: RequestInit = { signal: AbortSignal.timeout(15_000) };
    let url = `${server.url}/api/v1/processes/${seen.id}`;
    if (kind === 'token') {
      url = `${server.url}/oauth/token`;
      Object.assign(init, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret! }) });
    } else if (kind === 'write') {
      url = `${server.url}/api/v1/processes`;
      Object.assign(init, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Written ${++n}` }) });
    } else {
      init.headers = auth;
    }
    const response = await fetch(url, init);
    const body = await response.json() as { id?: string };
    outcomes.push({ kind, status: response.status, ms: Date.now() - started, retryAfter: response.headers.get('retry-after'), id: response.status === 201 ? body.id : undefined, at: started });
  };
  const load = Promise.all(Array.from({ length: 3 }, async (_, worker) => {
    const kinds = (['token', 'read', 'write'] as const);
    for (let i = worker; loading; i++) {
      await request(kinds[i % 3]!);
      await sleep(20);
    }
  }));
  const readyz = async () => (await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
  const waitReady = async () => {
    for (let i = 0; i < 60 && (await readyz()) !== 200; i++) await sleep(500);
    assert.equal(await readyz(), 200, `ready again without a restart:\n${server.log().split('\n').filter((l) => !l.includes('"level":30')).join('\n').slice(-6000)}`);
  };

  await sleep(1000);
  const outages: Array<[number, number]> = [];
  // 1. Stopped: connections are refused.
  let from = Date.now();
  cluster.stop();
  await sleep(3000);
  assert.equal(await readyz(), 503, 'not ready while the database is stopped');
  cluster.start();
  outages.push([from, Date.now()]);
  await waitReady();
  await sleep(1500);
  // 2. Frozen: connections hang, queries are never answered.
  from = Date.now();
  cluster.freeze();
  await sleep(4000);
  const readyStarted = Date.now();
  assert.equal(await readyz(), 503, 'not ready while the database is frozen');
  assert.ok(Date.now() - readyStarted < 5000, 'and says so quickly');
  cluster.thaw();
  outages.push([from, Date.now()]);
  await waitReady();
  const readyAgain = Date.now();
  await sleep(2000);
  loading = false;
  await load;

  const during = (o: Outcome) => outages.some(([a, b]) => o.at >= a && o.at <= b);
  const slowest = Math.max(...outcomes.map((o) => o.ms));
  assert.ok(slowest < 5000, `no request waits 5 s or more (slowest ${slowest} ms)`);
  for (const o of outcomes) {
    assert.ok([200, 201, 503].includes(o.status), `${o.kind} answered ${o.status}`);
    if (o.status === 503) assert.ok(Number(o.retryAfter) > 0, `a 503 says when to retry (${o.kind})`);
  }
  const unavailable = outcomes.filter((o) => o.status === 503);
  assert.ok(unavailable.some((o) => o.kind === 'write'), 'writes were refused while the database was away');
  assert.ok(outcomes.some((o) => during(o) && o.kind === 'read' && o.status === 200), 'reads of a cached process with a cached token went on');
  assert.ok(outcomes.some((o) => during(o) && o.kind === 'token' && o.status === 200), 'a known client still got tokens');
  const last = outcomes.filter((o) => o.at > readyAgain);
  assert.ok(last.some((o) => o.kind === 'write' && o.status === 201), `writes succeed again after the outage: ${JSON.stringify(last)}`);

  // Every write that was acknowledged is there.
  const written = outcomes.filter((o) => o.id);
  assert.ok(written.length > 0);
  for (const o of written) {
    const response = await fetch(`${server.url}/api/v1/processes/${o.id}`, { headers: auth });
    assert.equal(response.status, 200, `acknowledged process ${o.id} exists`);
  }

  // One line when it went, one when it came back, per outage; no stack per request.
  const log = server.log();
  const lines = (text: string) => log.split('\n').filter((line) => line.includes(text)).length;
  assert.equal(lines('the database does not answer'), 2, log.slice(-3000));
  assert.equal(lines('the database answers again'), 2);
  assert.equal(lines('unexpected error'), 0, 'no request met an unexpected error');
});
