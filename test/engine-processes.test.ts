// The engine in real server processes (issue #10, acceptance 3 and the live
// stream): a server SIGKILLed while runs are mid-way (an http step in flight,
// a delay, an approval) and started again finishes every run, runs no step
// that had succeeded again, and retries the interrupted one with the same
// Idempotency-Key; and a run's events as a live SSE stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createUser } from './support/fixtures.ts';
import { remoteApi, waitForRun, waitForStep, type Api } from './support/api.ts';
import { echo, hang, startTarget, TARGET_ALLOW } from './support/target.ts';

async function tokenFor(server: TestServer, email: string): Promise<string> {
  return (await server.cliJson<{ token: string }>('tokens', 'create', '--user', email, '--name', 'engine', '--scope', 'process')).token;
}

async function processWith(api: Api, steps: object[]): Promise<{ id: string; stepIds: string[] }> {
  const process = (await api('POST', '/api/v1/processes', { name: 'Crash test' })).body;
  const stepIds = [];
  for (const step of steps) stepIds.push((await api('POST', `/api/v1/processes/${process.id}/steps`, step)).body.id);
  return { id: process.id, stepIds };
}

test('SIGKILL mid-way (an http step in flight, a delay, an approval), then a restart: every run finishes, no succeeded step runs twice, the interrupted one is retried with its key', async (t) => {
  const target = await startTarget();
  t.after(() => target.close());
  const env = { ...TARGET_ALLOW, GATEHOUSE_ENGINE_LEASE_SECONDS: '5' };
  const first = await startServer({ env });
  t.after(() => first.stop());
  const { email } = await createUser(first);
  const api = remoteApi(first.url, await tokenFor(first, email));
  const stamp = Date.now();
  const path = (name: string) => `/crash/${stamp}/${name}`;
  // The first call to "inflight" never answers: the server dies during it.
  target.on(path('inflight'), (request, count, response) => (count === 1 ? hang(request, count, response) : echo(request, count, response)));

  const inflight = await processWith(api, [
    { name: 'Before', kind: 'http', config: { method: 'POST', url: `${target.url}${path('a-before')}`, body: {} } },
    { name: 'In flight', kind: 'http', config: { method: 'POST', url: `${target.url}${path('inflight')}`, body: {} }, retry: { maxAttempts: 3, backoffSeconds: 0 } },
  ]);
  const delayed = await processWith(api, [
    { name: 'Before', kind: 'http', config: { method: 'GET', url: `${target.url}${path('b-before')}` } },
    { name: 'Wait', kind: 'delay', config: { seconds: 3 } },
    { name: 'After', kind: 'http', config: { method: 'GET', url: `${target.url}${path('b-after')}` } },
  ]);
  const approval = await processWith(api, [
    { name: 'Before', kind: 'http', config: { method: 'GET', url: `${target.url}${path('c-before')}` } },
    { name: 'Sign-off', kind: 'approval', config: {} },
    { name: 'After', kind: 'http', config: { method: 'GET', url: `${target.url}${path('c-after')}` } },
  ]);
  const start = async (processId: string) => (await api('POST', `/api/v1/processes/${processId}/processruns`, { start: true })).body.id as string;
  const runs = { inflight: await start(inflight.id), delayed: await start(delayed.id), approval: await start(approval.id) };
  await target.waitFor(path('inflight'));
  await waitForStep(api, runs.delayed, 'Wait', ['Waiting']);
  await waitForStep(api, runs.approval, 'Sign-off', ['Waiting']);

  await first.kill('SIGKILL');
  const second = await startServer({ env: { ...env, DATABASE_URL: first.env.DATABASE_URL! } });
  t.after(() => second.stop());
  const again = remoteApi(second.url, await tokenFor(second, email));
  await waitForRun(again, runs.inflight, ['Finished'], 20_000);
  await waitForRun(again, runs.delayed, ['Finished'], 20_000);
  await waitForStep(again, runs.approval, 'Sign-off', ['Waiting']);
  assert.equal((await again('POST', `/api/v1/processruns/${runs.approval}/steps/${approval.stepIds[1]}/approve`)).status, 200);
  await waitForRun(again, runs.approval, ['Finished'], 20_000);

  for (const name of ['a-before', 'b-before', 'b-after', 'c-before', 'c-after']) assert.equal(target.to(path(name)).length, 1, `${name} ran once`);
  const attempts = target.to(path('inflight'));
  assert.equal(attempts.length, 2, 'the interrupted step was tried again');
  assert.equal(attempts[0]!.headers['idempotency-key'], attempts[1]!.headers['idempotency-key'], 'with the same Idempotency-Key');
  const steps = (await again('GET', `/api/v1/processruns/${runs.inflight}/steps`)).body.data;
  assert.equal(steps[1].attempts, 2);
  const events = ((await again('GET', `/api/v1/processruns/${runs.inflight}/events`)).body.data as Array<{ type: string }>).map((e) => e.type);
  assert.ok(events.includes('step.interrupted'), events.join(' '));
});

test('events as a live stream: what happened, then each new event as it happens, resumed from Last-Event-ID, ending with the run', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const { email } = await createUser(server);
  const token = await tokenFor(server, email);
  const api = remoteApi(server.url, token);
  const process = await processWith(api, [
    { name: 'Ask', kind: 'approval', config: {} },
    { name: 'Add', kind: 'transform', config: { expression: '1 + 1', resultKey: 'two' } },
  ]);
  const runId = (await api('POST', `/api/v1/processes/${process.id}/processruns`, { start: true })).body.id as string;
  await waitForStep(api, runId, 'Ask', ['Waiting']);

  const response = await fetch(`${server.url}/api/v1/processruns/${runId}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const until = async (needle: string) => {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  };
  await until('event: step.waiting');
  assert.doesNotMatch(text, /run\.finished/);
  await api('POST', `/api/v1/processruns/${runId}/steps/${process.stepIds[0]}/approve`);
  await until('event: run.finished');
  // The stream ends with the run.
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const events = [...text.matchAll(/id: (\d+)\nevent: ([\w.]+)\ndata: (.*)\n\n/g)].map((m) => ({ id: Number(m[1]), type: m[2]!, data: JSON.parse(m[3]!) as { runId: string } }));
  assert.deepEqual(events.map((e) => e.type), ['run.created', 'run.started', 'step.started', 'step.waiting', 'step.approved', 'step.succeeded', 'step.started', 'step.succeeded', 'run.finished']);
  assert.ok(events.every((e) => e.data.runId === runId));

  // Resumed from an id: only what came after it, and the stream ends at once (the run is over).
  const resumed = await fetch(`${server.url}/api/v1/processruns/${runId}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'last-event-id': String(events[4]!.id) } });
  const rest = [...(await resumed.text()).matchAll(/event: ([\w.]+)/g)].map((m) => m[1]);
  assert.deepEqual(rest, ['step.succeeded', 'step.started', 'step.succeeded', 'run.finished']);

  // Another workspace cannot subscribe.
  const stranger = await createUser(server);
  const refused = await fetch(`${server.url}/api/v1/processruns/${runId}/events`, { headers: { authorization: `Bearer ${await tokenFor(server, stranger.email)}`, accept: 'text/event-stream' } });
  assert.equal(refused.status, 404);
  assert.equal(((await refused.json()) as { error: string }).error, 'not_found');
});
