// The run engine through the API alone (issue #10, acceptance 1, 2, 7 and 8):
// a whole process of every kind of step, then retries, timeouts, cancels,
// rejections, deadlines, restarts, a runaway expression, and workspace
// isolation. In-process, on SQLite or PostgreSQL; every response is checked
// against the OpenAPI document.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestUser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { apiClient, waitForRun, waitForStep, type Api } from './support/api.ts';
import { failTimes, hang, startTarget, TARGET_ALLOW, type Target } from './support/target.ts';

let t: TestApp;
let target: Target;
let api: Api;

before(async () => {
  target = await startTarget();
  t = await startApp({ ...TARGET_ALLOW, GATEHOUSE_ENGINE_LEASE_SECONDS: '5' });
  const user = await createTestUser(t, { label: 'engine' });
  api = apiClient(t, (await t.services.pats.create(user.id, { name: 'engine', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
});
after(async () => {
  await t?.close();
  await target?.close();
});

interface StepSpec {
  name: string;
  kind: string;
  config: Record<string, unknown>;
  timeoutSeconds?: number;
  retry?: { maxAttempts: number; backoffSeconds: number };
}

async function processWith(steps: StepSpec[], client = api): Promise<{ id: string; steps: Array<{ id: string; name: string }> }> {
  const process = await client('POST', '/api/v1/processes', { name: `Process ${Math.random().toString(36).slice(2, 8)}` });
  assert.equal(process.status, 201, JSON.stringify(process.body));
  const made = [];
  for (const step of steps) {
    const response = await client('POST', `/api/v1/processes/${process.body.id}/steps`, step);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    made.push(response.body);
  }
  return { id: process.body.id, steps: made };
}

async function runOf(processId: string, data: object = {}, start = true, client = api): Promise<string> {
  const run = await client('POST', `/api/v1/processes/${processId}/processruns`, { data, start });
  assert.equal(run.status, 201, JSON.stringify(run.body));
  return run.body.id as string;
}

const eventTypes = async (runId: string) => ((await api('GET', `/api/v1/processruns/${runId}/events`)).body.data as Array<{ type: string }>).map((e) => e.type);
const stepsOf = async (runId: string) => (await api('GET', `/api/v1/processruns/${runId}/steps`)).body.data as Array<{ name: string; status: string; attempts: number; output: any; completionMessage: string | null; stepId: string }>;

test('transform → http → approval → delay runs to Finished through the API alone, step by step', async () => {
  const path = `/orders/${Date.now()}`;
  const process = await processWith([
    { name: 'Total', kind: 'transform', config: { expression: '$sum(items.(price * qty))', resultKey: 'total' } },
    { name: 'Post', kind: 'http', config: { method: 'POST', url: `${target.url}${path}/{{customer}}`, headers: { 'x-total': '{{total}}' }, body: { total: '{{total}}', note: 'for {{customer}}' }, resultKey: 'posted' } },
    { name: 'Sign-off', kind: 'approval', config: { message: 'Check the total' } },
    { name: 'Cool down', kind: 'delay', config: { seconds: 1 } },
  ]);
  const runId = await runOf(process.id, { customer: 'ACME & co', items: [{ price: 10, qty: 2 }, { price: 5, qty: 3 }] }, false);
  assert.equal((await api('GET', `/api/v1/processruns/${runId}/runstatus`)).body.status, 'NotStarted', 'it starts only when asked');
  const started = await api('POST', `/api/v1/processruns/${runId}/start`);
  assert.equal(started.status, 200);
  assert.deepEqual(Object.keys(started.body).sort(), ['dateFinished', 'dateStarted', 'id', 'runDurationInSeconds', 'status']);
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/start`)).status, 409, 'starting twice is a 409');

  const waiting = await waitForStep(api, runId, 'Sign-off', ['Waiting']);
  assert.equal(waiting.completionMessage, 'Check the total');
  assert.equal((await api('GET', `/api/v1/processruns/${runId}/runstatus`)).body.status, 'Running');
  let steps = await stepsOf(runId);
  assert.deepEqual(steps.map((s) => s.status), ['Success', 'Success', 'Waiting', 'NotStarted']);
  assert.equal(steps[0]!.output, 35);
  const call = target.to(`${path}/ACME%20%26%20co`);
  assert.equal(call.length, 1, 'the URL template was filled and encoded');
  assert.deepEqual(JSON.parse(call[0]!.body), { total: 35, note: 'for ACME & co' }, 'a whole-template body value keeps its type');
  assert.equal(call[0]!.headers['x-total'], '35');
  assert.match(String(call[0]!.headers['idempotency-key']), /^sr-/);
  assert.equal(steps[1]!.output.status, 200);
  const stepStatus = await api('GET', `/api/v1/processruns/${runId}/steps/${process.steps[1]!.id}/runstatus`);
  assert.match(stepStatus.body.completionMessage, /^POST http:\/\/127\.0\.0\.2:\d+\/orders\/\d+\/ACME%20%26%20co answered 200 in \d+ ms$/);

  const approved = await api('POST', `/api/v1/processruns/${runId}/steps/${process.steps[2]!.id}/approve`, { comment: 'looks right' });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/steps/${process.steps[2]!.id}/approve`, {})).status, 409, 'approving twice is a 409');
  await waitForRun(api, runId, ['Finished']);
  const run = (await api('GET', `/api/v1/processruns/${runId}`)).body;
  assert.equal(run.data.total, 35);
  assert.equal(run.data.posted.status, 200);
  assert.deepEqual(run.data.posted.body.body, { total: 35, note: 'for ACME & co' });
  assert.equal(run.data.customer, 'ACME & co', 'the input is kept');
  assert.ok(run.runDurationInSeconds >= 1, 'the delay waited');
  steps = await stepsOf(runId);
  assert.deepEqual(steps.map((s) => s.status), ['Success', 'Success', 'Success', 'Success']);
  assert.equal(steps[2]!.output.decision, 'approved');
  assert.equal(steps[2]!.output.comment, 'looks right');
  assert.deepEqual(await eventTypes(runId), [
    'run.created', 'run.started', 'step.started', 'step.succeeded', 'step.started', 'step.succeeded', 'step.started', 'step.waiting',
    'step.approved', 'step.succeeded', 'step.started', 'step.waiting', 'step.succeeded', 'run.finished',
  ]);
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/cancel`)).status, 409, 'a finished run cannot be cancelled');
});

test('retry with backoff: a step that fails twice succeeds on its third attempt, with the same Idempotency-Key', async () => {
  const path = `/flaky/${Date.now()}`;
  target.on(path, failTimes(2));
  const process = await processWith([{ name: 'Flaky', kind: 'http', config: { method: 'GET', url: `${target.url}${path}` }, retry: { maxAttempts: 3, backoffSeconds: 1 } }]);
  const runId = await runOf(process.id);
  await waitForRun(api, runId, ['Finished']);
  const calls = target.to(path);
  assert.equal(calls.length, 3);
  assert.equal(new Set(calls.map((c) => c.headers['idempotency-key'])).size, 1, 'one key for every attempt');
  assert.ok(calls[1]!.at - calls[0]!.at >= 900, 'a second between the first two');
  assert.ok(calls[2]!.at - calls[1]!.at >= 1900, 'then two: the backoff doubles');
  const [step] = await stepsOf(runId);
  assert.equal(step!.attempts, 3);
  assert.deepEqual((await eventTypes(runId)).filter((e) => e.startsWith('step.')), [
    'step.started', 'step.retry_scheduled', 'step.started', 'step.retry_scheduled', 'step.started', 'step.succeeded',
  ]);
});

test('a step that runs past its timeout fails, and the run ends TimedOut; steps after it are skipped', async () => {
  const path = `/slow/${Date.now()}`;
  target.on(path, hang);
  const process = await processWith([
    { name: 'Slow', kind: 'http', config: { method: 'GET', url: `${target.url}${path}` }, timeoutSeconds: 1 },
    { name: 'Never', kind: 'transform', config: { expression: '1', resultKey: 'x' } },
  ]);
  const runId = await runOf(process.id);
  await waitForRun(api, runId, ['TimedOut']);
  const steps = await stepsOf(runId);
  assert.deepEqual(steps.map((s) => s.status), ['Failed', 'Skipped']);
  assert.equal(steps[0]!.completionMessage, 'no answer within 1 s');
  assert.deepEqual((await eventTypes(runId)).slice(-2), ['step.failed', 'run.timed_out']);
});

test('cancel mid-http aborts the request at once; cancel while waiting releases the approval', async () => {
  const path = `/hanging/${Date.now()}`;
  target.on(path, hang);
  const process = await processWith([{ name: 'Hang', kind: 'http', config: { method: 'POST', url: `${target.url}${path}`, body: {} }, timeoutSeconds: 60 }]);
  const runId = await runOf(process.id);
  await target.waitFor(path);
  const started = Date.now();
  const cancelled = await api('POST', `/api/v1/processruns/${runId}/cancel`);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.status, 'Cancelled');
  const [step] = await stepsOf(runId);
  assert.equal(step!.status, 'Cancelled');
  assert.ok(Date.now() - started < 2000);
  // The in-flight request was aborted (the target's socket closed), not left running.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual((await eventTypes(runId)).slice(-2), ['step.cancelled', 'run.cancelled']);
  assert.equal((await api('GET', `/api/v1/processruns/${runId}/runstatus`)).body.status, 'Cancelled', 'the worker did not overwrite it');

  const approval = await processWith([{ name: 'Ask', kind: 'approval', config: {} }, { name: 'After', kind: 'transform', config: { expression: '1', resultKey: 'x' } }]);
  const waitingRun = await runOf(approval.id);
  await waitForStep(api, waitingRun, 'Ask', ['Waiting']);
  assert.equal((await api('POST', `/api/v1/processruns/${waitingRun}/cancel`)).status, 200);
  assert.deepEqual((await stepsOf(waitingRun)).map((s) => s.status), ['Cancelled', 'Skipped']);
  assert.equal((await api('POST', `/api/v1/processruns/${waitingRun}/steps/${approval.steps[0]!.id}/approve`)).status, 409, 'a cancelled approval cannot be approved');
});

test('reject fails the run with the comment; an approval deadline fails it TimedOut', async () => {
  const process = await processWith([{ name: 'Ask', kind: 'approval', config: { message: 'ok?' } }, { name: 'After', kind: 'transform', config: { expression: '1', resultKey: 'x' } }]);
  const runId = await runOf(process.id);
  await waitForStep(api, runId, 'Ask', ['Waiting']);
  const rejected = await api('POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/reject`, { comment: 'wrong month' });
  assert.equal(rejected.status, 200);
  assert.equal(rejected.body.status, 'Failed');
  const steps = await stepsOf(runId);
  assert.deepEqual(steps.map((s) => s.status), ['Failed', 'Skipped']);
  assert.match(steps[0]!.completionMessage!, /^rejected by engine-.*: wrong month$/);
  assert.deepEqual((await eventTypes(runId)).slice(-3), ['step.rejected', 'step.failed', 'run.failed']);

  const deadline = await processWith([{ name: 'Quick', kind: 'approval', config: { deadlineSeconds: 1 } }]);
  const lateRun = await runOf(deadline.id);
  await waitForRun(api, lateRun, ['TimedOut'], 10_000);
  const [step] = await stepsOf(lateRun);
  assert.equal(step!.status, 'Failed');
  assert.equal(step!.completionMessage, 'no one approved it within 1 s');
});

test('restart from a step runs it and the steps after again, never the ones before; the key is new', async () => {
  const first = `/first/${Date.now()}`;
  const second = `/second/${Date.now()}`;
  target.on(second, failTimes(1, 500));
  const process = await processWith([
    { name: 'One', kind: 'http', config: { method: 'GET', url: `${target.url}${first}`, resultKey: 'one' } },
    { name: 'Two', kind: 'http', config: { method: 'GET', url: `${target.url}${second}`, resultKey: 'two' } },
    { name: 'Three', kind: 'transform', config: { expression: 'two.status', resultKey: 'three' } },
  ]);
  const runId = await runOf(process.id);
  await waitForRun(api, runId, ['Failed']);
  assert.deepEqual((await stepsOf(runId)).map((s) => s.status), ['Success', 'Failed', 'Skipped']);
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/steps/${process.steps[1]!.id}/restartfromhere`)).status, 200);
  await waitForRun(api, runId, ['Finished']);
  assert.equal(target.to(first).length, 1, 'the step before the restart did not run again');
  assert.equal(target.to(second).length, 2);
  assert.notEqual(target.to(second)[0]!.headers['idempotency-key'], target.to(second)[1]!.headers['idempotency-key'], 'an operator\'s restart is a new request');
  const run = (await api('GET', `/api/v1/processruns/${runId}`)).body;
  assert.equal(run.data.three, 200);
  assert.ok((await eventTypes(runId)).includes('run.restarted'));
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/steps/${process.steps[1]!.id}/restartfromhere`)).status, 200, 'a finished run may be restarted too');
  await waitForRun(api, runId, ['Finished']);
});

test('a JSONata expression that never ends fails its step within its timeout, and other runs go on meanwhile', async () => {
  const endless = await processWith([{ name: 'Loop', kind: 'transform', config: { expression: '($f := function($x) { $f($x + 1) }; $f(0))', resultKey: 'x' }, timeoutSeconds: 2 }]);
  const regex = await processWith([{ name: 'Backtrack', kind: 'transform', config: { expression: '$match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", /(a+)+$/)', resultKey: 'x' }, timeoutSeconds: 1 }]);
  const quick = await processWith([{ name: 'Quick', kind: 'transform', config: { expression: 'n + 1', resultKey: 'm' } }]);
  const started = Date.now();
  const [loopRun, regexRun] = [await runOf(endless.id), await runOf(regex.id)];
  const quickRuns = await Promise.all(Array.from({ length: 5 }, (_, i) => runOf(quick.id, { n: i })));
  for (const id of quickRuns) await waitForRun(api, id, ['Finished'], 5000);
  assert.ok(Date.now() - started < 1500, 'the quick runs finished while the others were stuck');
  await waitForRun(api, loopRun, ['TimedOut'], 6000);
  await waitForRun(api, regexRun, ['TimedOut'], 6000);
  assert.match((await stepsOf(loopRun))[0]!.completionMessage!, /ran past its timeout of 2 s/);
  assert.match((await stepsOf(regexRun))[0]!.completionMessage!, /ran past its timeout of 1 s/);
  const after = await runOf(quick.id, { n: 41 });
  await waitForRun(api, after, ['Finished']);
  assert.equal((await api('GET', `/api/v1/processruns/${after}`)).body.data.m, 42, 'the sandbox works after a thread was replaced');
});

test('another workspace can read, start, approve, cancel or follow nothing: 404 for all', async () => {
  const process = await processWith([{ name: 'Ask', kind: 'approval', config: {} }]);
  const runId = await runOf(process.id, {}, false);
  const stranger = await createTestUser(t, { label: 'stranger' });
  const other = apiClient(t, (await t.services.pats.create(stranger.id, { name: 'x', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
  const paths: Array<['GET' | 'POST' | 'PATCH' | 'DELETE', string, unknown?]> = [
    ['GET', `/api/v1/processes/${process.id}`], ['GET', `/api/v1/processes/${process.id}/steps`], ['GET', `/api/v1/steps/${process.steps[0]!.id}`],
    ['PATCH', `/api/v1/steps/${process.steps[0]!.id}`, { name: 'mine' }], ['DELETE', `/api/v1/steps/${process.steps[0]!.id}`],
    ['PATCH', `/api/v1/processes/${process.id}`, { name: 'mine' }], ['DELETE', `/api/v1/processes/${process.id}`],
    ['POST', `/api/v1/processes/${process.id}/processruns`, { start: true }], ['GET', `/api/v1/processes/${process.id}/processruns`],
    ['GET', `/api/v1/processruns/${runId}`], ['GET', `/api/v1/processruns/${runId}/runstatus`], ['POST', `/api/v1/processruns/${runId}/start`],
    ['GET', `/api/v1/processruns/${runId}/steps`], ['GET', `/api/v1/processruns/${runId}/events`],
    ['POST', `/api/v1/processruns/${runId}/cancel`], ['POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/approve`],
    ['POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/reject`], ['POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/restartfromhere`],
  ];
  for (const [method, path, body] of paths) {
    const response = await other(method, path, body);
    assert.equal(response.status, 404, `${method} ${path}: ${JSON.stringify(response.body)}`);
    assert.equal(response.body.error, 'not_found');
  }
  assert.deepEqual((await other('GET', '/api/v1/processruns')).body.data, []);
  assert.equal((await api('GET', `/api/v1/processruns/${runId}/runstatus`)).body.status, 'NotStarted', 'nothing happened to it');
});

test('scopes: process_read reads, process_execute runs, process changes; each is refused the rest with 403', async () => {
  const owner = await createTestUser(t, { label: 'scopes' });
  const as = async (scope: string) => apiClient(t, (await t.services.pats.create(owner.id, { name: scope, scopes: [scope], expiresInDays: 1 }, SYSTEM)).token);
  const [reader, runner, editor] = [await as('process_read'), await as('process_execute'), await as('process')];
  const process = await processWith([{ name: 'Ask', kind: 'approval', config: {} }], editor);
  assert.equal((await reader('POST', `/api/v1/processes/${process.id}/processruns`, { start: true })).status, 403);
  assert.equal((await runner('POST', `/api/v1/processes/${process.id}/steps`, { name: 'x', kind: 'delay', config: { seconds: 1 } })).status, 403);
  const runId = await runOf(process.id, {}, true, runner);
  assert.equal((await reader('GET', `/api/v1/processruns/${runId}`)).status, 200);
  await waitForStep(reader, runId, 'Ask', ['Waiting']);
  assert.equal((await reader('POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/approve`)).status, 403);
  assert.equal((await runner('POST', `/api/v1/processruns/${runId}/steps/${process.steps[0]!.id}/approve`)).status, 200);
  await waitForRun(reader, runId, ['Finished']);
});

test('steps: bad configs are 422 with the field; steps reorder; a process with an active run cannot be deleted', async () => {
  const process = await processWith([]);
  const bad: Array<[unknown, string]> = [
    [{ name: 'x', kind: 'http', config: { method: 'FETCH', url: 'ftp://x' } }, 'config.method'],
    [{ name: 'x', kind: 'http', config: { method: 'GET', url: 'ftp://example.com/' } }, 'config.url'],
    [{ name: 'x', kind: 'http', config: { method: 'GET', url: 'https://example.com/{{ ( }}' } }, 'config.url'],
    [{ name: 'x', kind: 'transform', config: { expression: '$sum(', resultKey: 'y' } }, 'config.expression'],
    [{ name: 'x', kind: 'transform', config: { expression: '1' } }, 'config.resultKey'],
    [{ name: 'x', kind: 'delay', config: { seconds: 0 } }, 'config.seconds'],
    [{ name: 'x', kind: 'approval', config: { deadlineSeconds: 'soon' } }, 'config.deadlineSeconds'],
    [{ name: 'x', kind: 'delay', config: { seconds: 1, extra: true } }, 'config.extra'],
    [{ name: 'x', kind: 'http', config: { method: 'GET', url: 'https://example.com', headers: { host: 'evil' } } }, 'config.headers.host'],
  ];
  for (const [body, field] of bad) {
    const response = await api('POST', `/api/v1/processes/${process.id}/steps`, body);
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.ok(response.body.errors.some((e: { field: string }) => e.field === field), `${field}: ${JSON.stringify(response.body.errors)}`);
  }
  const wrongKind = await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'x', kind: 'email', config: {} });
  assert.equal(wrongKind.status, 422);

  const made = [];
  for (const name of ['A', 'B', 'C']) made.push((await api('POST', `/api/v1/processes/${process.id}/steps`, { name, kind: 'delay', config: { seconds: 1 } })).body);
  assert.equal((await api('PATCH', `/api/v1/steps/${made[2].id}`, { position: 1 })).status, 200);
  const inserted = await api('POST', `/api/v1/processes/${process.id}/steps`, { name: 'D', kind: 'approval', config: {}, position: 2 });
  assert.equal(inserted.body.position, 2);
  const order = (await api('GET', `/api/v1/processes/${process.id}/steps`)).body.data as Array<{ name: string; position: number }>;
  assert.deepEqual(order.map((s) => `${s.position}${s.name}`), ['1C', '2D', '3A', '4B']);
  assert.equal((await api('PATCH', `/api/v1/steps/${made[0].id}`, { position: 9 })).status, 422);
  assert.equal((await api('DELETE', `/api/v1/steps/${made[1].id}`)).status, 204);
  assert.deepEqual(((await api('GET', `/api/v1/processes/${process.id}/steps`)).body.data as Array<{ name: string; position: number }>).map((s) => `${s.position}${s.name}`), ['1C', '2D', '3A']);

  const renamed = await api('POST', `/api/v1/processes/${process.id}`, { name: 'Renamed the SolveXia way' });
  assert.equal(renamed.body.name, 'Renamed the SolveXia way');
  assert.equal((await api('PATCH', `/api/v1/processes/${process.id}`, { description: 'and the other way' })).body.description, 'and the other way');
  assert.equal((await api('GET', `/api/v1/processes/${process.id}`)).body.name, 'Renamed the SolveXia way', 'the cache was dropped');

  const runId = await runOf(process.id);
  await waitForStep(api, runId, 'C', ['Waiting']);
  const refused = await api('DELETE', `/api/v1/processes/${process.id}`);
  assert.equal(refused.status, 409);
  assert.equal((await api('POST', `/api/v1/processruns/${runId}/cancel`)).status, 200);
  assert.equal((await api('DELETE', `/api/v1/processes/${process.id}`)).status, 204);
  assert.equal((await api('GET', `/api/v1/processes/${process.id}`)).status, 404);
  assert.equal((await api('GET', `/api/v1/processruns/${runId}`)).status, 404, 'its runs went with it');
});

test('runs list by process and status, newest first, page by page', async () => {
  const process = await processWith([{ name: 'Noop', kind: 'transform', config: { expression: '1', resultKey: 'x' } }]);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await runOf(process.id, {}, i % 2 === 0));
  for (const id of ids.filter((_, i) => i % 2 === 0)) await waitForRun(api, id, ['Finished']);
  const firstPage = await api('GET', `/api/v1/processes/${process.id}/processruns?limit=2`);
  assert.deepEqual(firstPage.body.data.map((r: { id: string }) => r.id), [ids[4], ids[3]]);
  const next = await api('GET', `/api/v1/processes/${process.id}/processruns?limit=2&cursor=${firstPage.body.nextCursor}`);
  assert.deepEqual(next.body.data.map((r: { id: string }) => r.id), [ids[2], ids[1]]);
  const notStarted = await api('GET', `/api/v1/processes/${process.id}/processruns?status=NotStarted`);
  assert.deepEqual(notStarted.body.data.map((r: { id: string }) => r.id), [ids[3], ids[1]]);
  assert.equal((await api('GET', `/api/v1/processes/${process.id}/processruns?status=Done`)).status, 422);
});
