// GET /metrics (issue #11, "Health and metrics"; acceptance 7): Prometheus
// text whose counters move as the tests act — requests by route pattern,
// tokens by grant, failures by error code, runs by status, the engine's
// queue and claims, webhook outcomes, process metrics — off when told, on a
// port of its own, behind a token, and still answering when the database
// does not. In-process, on SQLite or PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestUser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { apiClient, waitForStep, type Api } from './support/api.ts';
import { failTimes, startTarget, TARGET_ALLOW, type Target } from './support/target.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { Metrics, type RunCounts } from '../src/metrics/metrics.ts';
import { startMetricsServer } from '../src/metrics/endpoint.ts';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4; charset=utf-8$/;

let t: TestApp;
let target: Target;
let api: Api;

before(async () => {
  target = await startTarget();
  t = await startApp({ ...TARGET_ALLOW, GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '1' });
  const user = await createTestUser(t, { label: 'metrics' });
  api = apiClient(t, (await t.services.pats.create(user.id, { name: 'metrics', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
});
after(async () => {
  await t?.close();
  await target?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format, failing on any line that is not in it. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# ')) {
      assert.match(line, /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/);
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const [, name, labelText = '', raw] = match as unknown as [string, string, string | undefined, string];
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    // prom-client writes NaN as "Nan" (an event-loop mean with no sample yet); Prometheus reads it either way.
    assert.ok(/^nan$/i.test(raw) || !Number.isNaN(value), `not a number: ${line}`);
    samples.push({ name, labels: Object.fromEntries([...labelText.matchAll(LABEL)].map((m) => [m[1]!, m[2]!])), value });
  }
  return samples;
}

/** The value of the one sample with this name and (at least) these labels; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

async function scrape(app: TestApp, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers });
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), PROMETHEUS_TEXT);
  return parse(response.body);
}

async function tokenRequest(app: TestApp, form: Record<string, string>) {
  return app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(form).toString() });
}

async function robot(app: TestApp): Promise<{ clientId: string; secret: string }> {
  const owner = await createTestUser(app, { label: 'robot-owner' });
  const { client, clientSecret } = await app.services.clients.create({
    workspaceId: await app.services.users.workspaceOf(owner.id), createdBy: owner.id, name: 'Robot', grantTypes: ['client_credentials'],
  }, OPERATOR, SYSTEM);
  return { clientId: client.clientId, secret: clientSecret ?? '' };
}

/** Polls /metrics until `check` holds (counts written after a response, by background work). */
async function eventually(app: TestApp, check: (samples: Sample[]) => boolean, what: string, timeoutMs = 10_000): Promise<Sample[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(app);
    if (check(samples)) return samples;
    if (Date.now() > until) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('requests by route pattern, method and status; tokens by grant; failures by error code; process metrics', async () => {
  const { clientId, secret } = await robot(t);
  const issued = await tokenRequest(t, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
  assert.equal(issued.statusCode, 200, issued.body);
  const refused = await tokenRequest(t, { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.json().error, 'invalid_client');
  const missingId = 'prc-no-such-process-here';
  assert.equal((await api('GET', `/api/v1/processes/${missingId}`)).status, 404);
  assert.equal((await t.inject({ method: 'GET', url: '/no/such/page' })).statusCode, 404);

  const response = await t.inject({ method: 'GET', url: '/metrics' });
  const samples = await scrape(t);
  const token = { route: '/oauth/token', method: 'POST' };
  assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { ...token, status: '200' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { ...token, status: '401' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_http_request_duration_seconds_count', { ...token, status: '200' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_http_request_duration_seconds_bucket', { ...token, status: '200', le: '+Inf' }), 1);
  assert.ok(valueOf(samples, 'gatehouse_http_request_duration_seconds_sum', { ...token, status: '200' })! > 0);
  // The route's pattern, never the URL: the number of series is bounded by the routes.
  assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { route: '/api/v1/processes/:id', method: 'GET', status: '404' }), 1);
  assert.ok(!response.body.includes(missingId) && !response.body.includes('/no/such/page'), 'no raw URL in a label');
  assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 1);
  // The previous scrape is counted too.
  assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }), 1);

  assert.equal(valueOf(samples, 'gatehouse_tokens_issued_total', { grant_type: 'client_credentials' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_tokens_issued_total', { grant_type: 'refresh_token' }), 0, 'every grant has its series from the start');
  assert.equal(valueOf(samples, 'gatehouse_error_responses_total', { surface: 'oauth', error: 'invalid_client' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_error_responses_total', { surface: 'api', error: 'not_found' }), 2, 'the API\'s 404 and the unmatched URL\'s');

  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
    assert.ok(valueOf(samples, name) !== undefined, `${name} is exposed`);
  }
  assert.ok(valueOf(samples, 'gatehouse_engine_claim_duration_seconds_count')! >= 1, 'the engine claimed at start, timed');
  if (process.env.TEST_DATABASE_URL) {
    assert.ok(valueOf(samples, 'gatehouse_db_pool_connections')! >= 1, 'PostgreSQL: the pool\'s connections');
    assert.ok(valueOf(samples, 'gatehouse_db_pool_idle_connections') !== undefined);
  } else {
    assert.equal(valueOf(samples, 'gatehouse_db_pool_connections'), undefined, 'SQLite has no pool to speak of');
  }
});

test('webhook deliveries by outcome: delivered, failed (retried) and given up', async () => {
  const endpoint = async (path: string) => {
    const made = await api('POST', '/api/v1/webhooks', { url: `${target.url}${path}`, events: ['run.finished'], description: 'metrics' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((await api('POST', `/api/v1/webhooks/${made.body.id}/test`)).status, 202);
  };
  target.on('/hooks/down', failTimes(100));
  await endpoint('/hooks/up');
  await endpoint('/hooks/down');
  // One retry (GATEHOUSE_WEBHOOK_RETRY_SCHEDULE=1): the failing target's second failure is the last.
  const samples = await eventually(t, (s) => valueOf(s, 'gatehouse_webhook_deliveries_total', { outcome: 'given_up' }) === 1, 'the failing delivery is given up');
  assert.equal(valueOf(samples, 'gatehouse_webhook_deliveries_total', { outcome: 'delivered' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_webhook_deliveries_total', { outcome: 'failed' }), 1);
  assert.equal(target.to('/hooks/down').length, 2);
});

test('runs by status and the engine\'s queue are read from the store at scrape time', async () => {
  // No workers: a started run stays due, in the queue.
  const idle = await startApp({ GATEHOUSE_WORKERS: 'off' });
  try {
    const user = await createTestUser(idle, { label: 'queue' });
    const idleApi = apiClient(idle, (await idle.services.pats.create(user.id, { name: 'q', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
    let samples = await scrape(idle);
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Scheduled' }), 0);
    assert.equal(valueOf(samples, 'gatehouse_engine_queue_depth'), 0);
    const process = (await idleApi('POST', '/api/v1/processes', { name: 'Queued' })).body;
    assert.equal((await idleApi('POST', `/api/v1/processes/${process.id}/steps`, { name: 'Sum', kind: 'transform', config: { expression: '1 + 1', resultKey: 'sum' } })).status, 201);
    for (const start of [true, true, false]) {
      assert.equal((await idleApi('POST', `/api/v1/processes/${process.id}/processruns`, { data: {}, start })).status, 201);
    }
    samples = await scrape(idle);
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Scheduled' }), 2);
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'NotStarted' }), 1);
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Finished' }), 0);
    assert.equal(valueOf(samples, 'gatehouse_engine_queue_depth'), 2);
  } finally {
    await idle.close();
  }

  // With workers, a run waiting for a person is Running and out of the queue.
  const process = (await api('POST', '/api/v1/processes', { name: 'Waits' })).body;
  assert.equal((await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'Ask', kind: 'approval', config: {} })).status, 201);
  const run = (await api('POST', `/api/v1/processes/${process.id}/processruns`, { data: {}, start: true })).body;
  await waitForStep(api, run.id, 'Ask', ['Waiting']);
  const samples = await scrape(t);
  assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Running' }), 1);
  assert.equal(valueOf(samples, 'gatehouse_engine_queue_depth'), 0);
});

test('GATEHOUSE_METRICS=off: no /metrics and no request timing', async () => {
  const off = await startApp({ GATEHOUSE_METRICS: 'off' });
  try {
    assert.equal((await off.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
    assert.equal((await t.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'served when on (the default)');
    const text = await off.services.metrics.render();
    assert.ok(!text.includes('gatehouse_http_requests_total{'), 'no request was timed');
    assert.ok(!text.includes('nodejs_eventloop_lag'), 'no process metrics either');
  } finally {
    await off.close();
  }
});

test('GATEHOUSE_METRICS=<port>: not on the main port; startMetricsServer serves it on a listener of its own', async () => {
  const ownPort = await startApp({ GATEHOUSE_METRICS: '19464' });
  const server = await startMetricsServer(ownPort.services.metrics, 0, '127.0.0.1');
  try {
    assert.equal(ownPort.services.config.metrics, 19464);
    assert.equal((await ownPort.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'not on the main port');
    assert.equal((await ownPort.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', PROMETHEUS_TEXT);
    const samples = parse(await response.text());
    assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { route: '/healthz', method: 'GET', status: '200' }), 1, 'the main port\'s requests are timed');
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status, 404, 'it serves /metrics alone');
  } finally {
    await server.close();
    await ownPort.close();
  }
});

test('GATEHOUSE_METRICS_TOKEN: a scrape needs the bearer token', async () => {
  const guarded = await startApp({ GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN });
  try {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcdef', `Basic ${METRICS_TOKEN}`]) {
      const response = await guarded.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.ok(!response.body.includes('gatehouse_'), 'no metric leaks');
    }
    const samples = await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(valueOf(samples, 'gatehouse_http_requests_total', { route: '/metrics', method: 'GET', status: '401' }), 3);
  } finally {
    await guarded.close();
  }
});

test('while the database does not answer, a scrape answers with the last values read', async () => {
  let mode: 'up' | 'failing' | 'stuck' = 'up';
  const runs: RunCounts = {
    countByStatus: () => (mode === 'up' ? Promise.resolve({ Running: 3 }) : mode === 'failing' ? Promise.reject(new Error('connection refused')) : new Promise(() => {})),
    countQueued: () => (mode === 'up' ? Promise.resolve(7) : mode === 'failing' ? Promise.reject(new Error('connection refused')) : new Promise(() => {})),
  };
  const metrics = new Metrics({ runs }, { processMetrics: false });
  metrics.watchDatabasePool({ totalCount: 10, idleCount: 4, waitingCount: 2 });
  const read = async () => parse(await metrics.render());
  const expectLast = (samples: Sample[]) => {
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Running' }), 3);
    assert.equal(valueOf(samples, 'gatehouse_runs', { status: 'Failed' }), 0);
    assert.equal(valueOf(samples, 'gatehouse_engine_queue_depth'), 7);
  };
  expectLast(await read());
  mode = 'failing';
  expectLast(await read());
  mode = 'stuck';
  let started = Date.now();
  expectLast(await read());
  assert.ok(Date.now() - started < 3000, 'a stuck database holds a scrape for a second at most');
  started = Date.now();
  const samples = await read();
  expectLast(samples);
  assert.ok(Date.now() - started < 500, 'and the next at once, while the stuck read is still out');
  assert.equal(valueOf(samples, 'gatehouse_db_pool_connections'), 10);
  assert.equal(valueOf(samples, 'gatehouse_db_pool_idle_connections'), 4);
  assert.equal(valueOf(samples, 'gatehouse_db_pool_waiting_requests'), 2);
});

test('GATEHOUSE_METRICS and GATEHOUSE_METRICS_TOKEN are checked at start-up', () => {
  const base = { PORT: '3000' };
  assert.equal(loadConfig(base).metrics, 'main', 'on by default');
  assert.equal(loadConfig({ ...base, GATEHOUSE_METRICS: 'off' }).metrics, 'off');
  assert.equal(loadConfig({ ...base, GATEHOUSE_METRICS: '9464' }).metrics, 9464);
  assert.equal(loadConfig(base).metricsToken, null);
  for (const [variable, value] of [
    ['GATEHOUSE_METRICS', 'maybe'], ['GATEHOUSE_METRICS', '3000'], ['GATEHOUSE_METRICS', '70000'], ['GATEHOUSE_METRICS_TOKEN', 'short'], ['GATEHOUSE_METRICS_TOKEN', 'has a space in it, sixteen+'],
  ] as const) {
    assert.throws(() => loadConfig({ ...base, [variable]: value }), (error: unknown) => error instanceof ConfigError && error.variable === variable, `${variable}=${value}`);
  }
});

test('the janitor\'s deletions are counted by table', async () => {
  // Two days on, the one-day personal access token this file's API calls used has expired.
  const counts = await t.services.janitor.run(new Date(Date.now() + 2 * 86_400_000));
  assert.equal(counts?.personal_access_tokens, 1);
  const samples = await scrape(t);
  assert.equal(valueOf(samples, 'gatehouse_janitor_deleted_rows_total', { table: 'personal_access_tokens' }), 1);
});
