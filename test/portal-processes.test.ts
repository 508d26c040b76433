// The portal's process, run and webhook pages, over the page layer: steps
// added, edited, moved and deleted; runs started with JSON data, filtered,
// cancelled, rejected and restarted; webhook endpoints with a secret shown
// once, tests, the delivery log and redelivery; another workspace's ids are
// the 404 page. In-process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestUser, signedInBrowser, startApp, type InjectBrowser, type TestApp } from './support/app.ts';
import { startTarget, TARGET_ALLOW, type Target } from './support/target.ts';

let t: TestApp;
let target: Target;
let browser: InjectBrowser;
let workspaceId: string;
let email: string;

before(async () => {
  target = await startTarget();
  t = await startApp(TARGET_ALLOW);
  const user = await createTestUser(t, { label: 'portal-runs' });
  email = user.email;
  workspaceId = await t.services.users.workspaceOf(user.id);
  browser = await signedInBrowser(t, user);
});
after(async () => {
  await t?.close();
  await target?.close();
});

const csrfOf = (html: string) => /name="csrf_token" value="([^"]+)"/.exec(html)![1]!;

async function newProcess(name = 'Close the month') {
  return t.services.processes.create(workspaceId, { name }, email);
}

async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a process page: steps are added (with errors shown per field), edited, moved and deleted', async () => {
  const process = await newProcess();
  const page = await browser.get(`/processes/${process.id}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /No steps yet/);
  const csrf = csrfOf(page.body);
  const add = (fields: Record<string, string>) => browser.post(`/processes/${process.id}/steps`, { csrf_token: csrf, timeoutSeconds: '', maxAttempts: '1', backoffSeconds: '0', ...fields });

  const notJson = await add({ name: 'Broken', kind: 'transform', config: '{ expression: ' });
  assert.equal(notJson.statusCode, 422);
  assert.match(notJson.body, /This is not JSON/);
  const badConfig = await add({ name: 'Broken', kind: 'transform', config: '{"expression": "$sum(", "resultKey": "x"}' });
  assert.equal(badConfig.statusCode, 422);
  assert.match(badConfig.body, /is not valid JSONata/);
  assert.match(badConfig.body, /\$sum\(/, 'the form keeps what was typed');

  for (const [name, kind, config] of [['First', 'transform', '{"expression": "1", "resultKey": "one"}'], ['Second', 'delay', '{"seconds": 1}'], ['Third', 'approval', '{}']]) {
    assert.equal((await add({ name: name!, kind: kind!, config: config! })).statusCode, 303);
  }
  const steps = await t.services.processes.steps(workspaceId, process.id);
  assert.deepEqual(steps.map((s) => s.name), ['First', 'Second', 'Third']);
  assert.equal((await browser.post(`/processes/${process.id}/steps/${steps[2]!.id}/move`, { csrf_token: csrf, position: '1' })).statusCode, 303);
  assert.deepEqual((await t.services.processes.steps(workspaceId, process.id)).map((s) => s.name), ['Third', 'First', 'Second']);

  const edit = await browser.get(`/processes/${process.id}/steps/${steps[0]!.id}`);
  assert.match(edit.body, /<h1 id="edit-step-heading">Step 2: First<\/h1>/);
  const saved = await browser.post(`/processes/${process.id}/steps/${steps[0]!.id}`, { csrf_token: csrf, name: 'First, renamed', kind: 'transform', config: '{"expression": "2", "resultKey": "two"}', timeoutSeconds: '3', maxAttempts: '2', backoffSeconds: '1' });
  assert.equal(saved.statusCode, 303);
  const changed = await t.services.processes.step(workspaceId, steps[0]!.id);
  assert.deepEqual([changed.name, changed.timeoutSeconds, changed.retry], ['First, renamed', 3, { maxAttempts: 2, backoffSeconds: 1 }]);

  const confirm = await browser.get(`/processes/${process.id}/steps/${steps[1]!.id}/delete`);
  assert.match(confirm.body, /Delete the step “Second”\?/);
  assert.equal((await browser.post(`/processes/${process.id}/steps/${steps[1]!.id}/delete`, { csrf_token: csrf })).statusCode, 303);
  assert.deepEqual((await t.services.processes.steps(workspaceId, process.id)).map((s) => `${s.position}${s.name}`), ['1Third', '2First, renamed']);
});

test('Run now with JSON data opens the run page; bad JSON is a 422 that keeps the text; runs filter by status', async () => {
  const process = await newProcess('Run me');
  await t.services.processes.addStep(workspaceId, process.id, { name: 'Ask', kind: 'approval', config: { message: 'Go?' } }, email);
  const csrf = csrfOf((await browser.get(`/processes/${process.id}`)).body);
  const bad = await browser.post(`/processes/${process.id}/run`, { csrf_token: csrf, data: '{"month": ' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /This is not JSON/);
  assert.match(bad.body, /\{&quot;month&quot;: <\/textarea>/);
  assert.equal((await browser.post(`/processes/${process.id}/run`, { csrf_token: csrf, data: '[1, 2]' })).statusCode, 422);

  const started = await browser.post(`/processes/${process.id}/run`, { csrf_token: csrf, data: '{"month": "2026-11"}' });
  assert.equal(started.statusCode, 303);
  const runPath = started.headers.location as string;
  assert.match(runPath, /^\/processruns\/pr-/);
  const runId = runPath.split('/')[2]!;
  const waiting = await until(async () => {
    const page = await browser.get(runPath);
    return page.body.includes('name="decision" value="approve"') ? page : undefined;
  });
  assert.match(waiting.body, /&quot;month&quot;: &quot;2026-11&quot;/);
  assert.match(waiting.body, /<script src="\/assets\/run-live.js" defer><\/script>/);
  const timeline = await browser.get(`${runPath}/timeline`);
  assert.equal(timeline.statusCode, 200);
  assert.doesNotMatch(timeline.body, /<html/, 'a fragment');

  const reject = await browser.post(`${runPath}/steps/${(await t.services.runs.steps(workspaceId, runId))[0]!.stepId}/decide`, { csrf_token: csrf, decision: 'reject', comment: 'not this month' });
  assert.equal(reject.statusCode, 303);
  // The old page's live script fetches the timeline before the browser follows the redirect: the notice waits for the page.
  assert.equal((await browser.get(`${runPath}/timeline`)).statusCode, 200);
  const rejected = await browser.get(runPath);
  assert.match(rejected.body, /class="notice">Rejected: the run has failed\./);
  assert.match(rejected.body, /rejected by .*: not this month/);
  assert.equal((await t.services.runs.get(workspaceId, runId)).status, 'Failed');

  const restart = await browser.post(`${runPath}/steps/${(await t.services.runs.steps(workspaceId, runId))[0]!.stepId}/restart`, { csrf_token: csrf });
  assert.equal(restart.statusCode, 303);
  await until(async () => ((await t.services.runs.steps(workspaceId, runId))[0]!.status === 'Waiting' ? true : undefined));
  assert.equal((await browser.post(`${runPath}/cancel`, { csrf_token: csrf })).statusCode, 303);
  assert.equal((await t.services.runs.get(workspaceId, runId)).status, 'Cancelled');
  const again = await browser.post(`${runPath}/cancel`, { csrf_token: csrf });
  assert.equal(again.statusCode, 409, 'cancelling a cancelled run');
  assert.match(again.body, /already Cancelled/);

  const all = await browser.get(`/processes/${process.id}`);
  assert.ok(all.body.includes(runId));
  assert.ok(!(await browser.get(`/processes/${process.id}?status=Finished`)).body.includes(runId), 'filtered out');
  assert.ok((await browser.get(`/processes/${process.id}?status=Cancelled`)).body.includes(runId));
});

test('webhooks: the secret is shown once; a test is delivered and logged; redeliver; another workspace gets 404 pages', async () => {
  const page = await browser.get('/webhooks');
  assert.equal(page.statusCode, 200);
  const csrf = csrfOf(page.body);
  const invalid = await browser.post('/webhooks', { csrf_token: csrf, url: 'http://169.254.169.254/', 'event:run.finished': 'on' });
  assert.equal(invalid.statusCode, 422);
  assert.match(invalid.body, /private or reserved address/);
  const noEvents = await browser.post('/webhooks', { csrf_token: csrf, url: `${target.url}/portal-hook` });
  assert.match(noEvents.body, /Choose at least one event/);

  const made = await browser.post('/webhooks', { csrf_token: csrf, url: `${target.url}/portal-hook`, 'event:run.finished': 'on', description: 'ops' });
  assert.equal(made.statusCode, 303);
  const detailPath = made.headers.location as string;
  const shown = await browser.get(detailPath);
  const secret = /id="webhook-secret" class="secret" value="(whsec_[^"]+)"/.exec(shown.body)?.[1];
  assert.ok(secret, 'the secret is shown');
  assert.doesNotMatch((await browser.get(detailPath)).body, /whsec_/, 'once');

  assert.equal((await browser.post(`${detailPath}/test`, { csrf_token: csrf })).statusCode, 303);
  await target.waitFor('/portal-hook');
  const logged = await until(async () => {
    const body = (await browser.get(detailPath)).body;
    return body.includes('webhook.test') && body.includes('200') ? body : undefined;
  });
  const messageId = /(msg_[a-z0-9]+)/.exec(logged)![1]!;
  assert.equal((await browser.post(`${detailPath}/messages/${messageId}/redeliver`, { csrf_token: csrf })).statusCode, 303);
  await target.waitFor('/portal-hook', 2);

  const stranger = await signedInBrowser(t, await createTestUser(t, { label: 'stranger' }));
  for (const path of [detailPath, `${detailPath}/delete`]) assert.equal((await stranger.get(path)).statusCode, 404, path);
  const strangerCsrf = csrfOf((await stranger.get('/webhooks')).body);
  assert.equal((await stranger.post(`${detailPath}/test`, { csrf_token: strangerCsrf })).statusCode, 404);

  assert.equal((await browser.post(`${detailPath}/delete`, { csrf_token: csrf })).statusCode, 303);
  assert.equal((await browser.get(detailPath)).statusCode, 404);
});

test('another workspace\'s processes and runs are the 404 page', async () => {
  const process = await newProcess('Mine');
  const run = await t.services.runs.create(workspaceId, process.id, {}, email);
  const stranger = await signedInBrowser(t, await createTestUser(t, { label: 'stranger' }));
  for (const path of [`/processes/${process.id}`, `/processruns/${run.id}`, `/processruns/${run.id}/timeline`, `/processruns/${run.id}/live`]) {
    const response = await stranger.get(path);
    assert.equal(response.statusCode, 404, path);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
  }
});
