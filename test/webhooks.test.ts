// Signed webhooks (issue #10, acceptance 5): deliveries verify with the
// `standardwebhooks` package, a target that fails twice gets the event on
// the third try, run.finished arrives within 2 s of the run's end, and the
// log shows every attempt. In-process, on SQLite or PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { createTestUser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { apiClient, waitForRun, waitForStep, type Api } from './support/api.ts';
import { failTimes, startTarget, TARGET_ALLOW, type Target } from './support/target.ts';

let t: TestApp;
let api: Api;
let target: Target;
let ownerId: string;

before(async () => {
  target = await startTarget();
  t = await startApp({ ...TARGET_ALLOW, GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '1,1,1' });
  const user = await createTestUser(t, { label: 'hooks' });
  ownerId = user.id;
  api = apiClient(t, (await t.services.pats.create(user.id, { name: 'x', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
});
after(async () => {
  await t?.close();
  await target?.close();
});

async function endpoint(path: string, events: string[]) {
  const made = await api('POST', '/api/v1/webhooks', { url: `${target.url}${path}`, events, description: 'test receiver' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.match(made.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(made.headers['cache-control'], 'no-store');
  return made.body as { id: string; secret: string };
}

async function processOf(steps: object[]): Promise<string> {
  const process = (await api('POST', '/api/v1/processes', { name: 'Hooked' })).body;
  for (const step of steps) assert.equal((await api('POST', `/api/v1/processes/${process.id}/steps`, step)).status, 201);
  return process.id;
}

test('run.started and run.finished are delivered signed (standardwebhooks verifies them), run.finished within 2 s of the end', async () => {
  const path = `/hooks/${Date.now()}`;
  const { id, secret } = await endpoint(path, ['run.started', 'run.finished']);
  const processId = await processOf([{ name: 'Add', kind: 'transform', config: { expression: 'a + 1', resultKey: 'b' } }]);
  const run = (await api('POST', `/api/v1/processes/${processId}/processruns`, { data: { a: 1 }, start: true })).body;
  const status = await waitForRun(api, run.id, ['Finished']);
  const second = await target.waitFor(path, 2);
  const finishedAt = Date.parse(status.body.dateFinished);
  assert.ok(second.at - finishedAt < 2000, `delivered ${second.at - finishedAt} ms after the end`);

  const verifier = new Webhook(secret);
  const bodies = target.to(path).map((received) => {
    assert.match(String(received.headers['webhook-id']), /^msg_/);
    assert.match(String(received.headers['webhook-signature']), /^v1,/);
    assert.equal(received.headers['content-type'], 'application/json');
    return verifier.verify(received.body, received.headers as Record<string, string>) as { type: string; timestamp: string; data: { id: string; status: string; data: object } };
  });
  assert.deepEqual(bodies.map((b) => b.type).sort(), ['run.finished', 'run.started']);
  const finished = bodies.find((b) => b.type === 'run.finished')!;
  assert.equal(finished.data.id, run.id);
  assert.equal(finished.data.status, 'Finished');
  assert.deepEqual(finished.data.data, { a: 1, b: 2 });
  // A tampered body or another secret does not verify.
  const received = target.to(path)[0]!;
  assert.throws(() => verifier.verify(`${received.body} `, received.headers as Record<string, string>));
  assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(received.body, received.headers as Record<string, string>));

  // The target has answered; the dispatcher records the outcome just after: wait for it.
  const outcomes = (log: { body: { data: Array<{ status: string; attempts: number }> } }) => log.body.data.map((m) => `${m.status}/${m.attempts}`);
  let log = await api('GET', `/api/v1/webhooks/${id}/messages`);
  for (let i = 0; i < 50 && outcomes(log).some((o) => o.startsWith('pending')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    log = await api('GET', `/api/v1/webhooks/${id}/messages`);
  }
  assert.deepEqual(outcomes(log), ['delivered/1', 'delivered/1']);
  assert.equal(log.body.data[0].deliveries[0].statusCode, 200);
});

test('a target that fails twice gets the event on the third try; every attempt is in the log; redeliver sends it again with the same id', async () => {
  const path = `/flaky-hook/${Date.now()}`;
  target.on(path, failTimes(2, 500));
  const { id, secret } = await endpoint(path, ['run.failed']);
  const processId = await processOf([{ name: 'Ask', kind: 'approval', config: {} }]);
  const run = (await api('POST', `/api/v1/processes/${processId}/processruns`, { start: true })).body;
  const waiting = await waitForStep(api, run.id, 'Ask', ['Waiting']);
  await api('POST', `/api/v1/processruns/${run.id}/steps/${waiting.stepId}/reject`, { comment: 'no' });
  const third = await target.waitFor(path, 3, 10_000);
  const calls = target.to(path);
  assert.equal(calls.length, 3);
  assert.equal(new Set(calls.map((c) => c.headers['webhook-id'])).size, 1, 'one message id on every attempt');
  const body = new Webhook(secret).verify(third.body, third.headers as Record<string, string>) as { type: string; data: { status: string } };
  assert.equal(body.type, 'run.failed');
  assert.equal(body.data.status, 'Failed');

  let message;
  for (let i = 0; i < 50; i++) {
    message = (await api('GET', `/api/v1/webhooks/${id}/messages`)).body.data[0];
    if (message.status === 'delivered') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(message.status, 'delivered');
  assert.deepEqual(message.deliveries.map((d: { statusCode: number }) => d.statusCode), [500, 500, 200]);

  assert.equal((await api('POST', `/api/v1/webhooks/${id}/messages/${message.id}/redeliver`)).status, 202);
  const fourth = await target.waitFor(path, 4);
  assert.equal(fourth.headers['webhook-id'], message.id);
});

test('test deliveries, disabling, secret rotation; the secret is stored encrypted, never in the clear', async () => {
  const path = `/test-hook/${Date.now()}`;
  const { id, secret } = await endpoint(path, ['step.waiting']);
  assert.equal((await api('POST', `/api/v1/webhooks/${id}/test`)).status, 202);
  const test1 = await target.waitFor(path);
  assert.equal((new Webhook(secret).verify(test1.body, test1.headers as Record<string, string>) as { type: string }).type, 'webhook.test');

  const rotated = await api('POST', `/api/v1/webhooks/${id}/rotate-secret`);
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.secret, secret);
  assert.equal((await api('GET', `/api/v1/webhooks/${id}`)).body.secret, undefined, 'shown only when made');
  await api('POST', `/api/v1/webhooks/${id}/test`);
  const test2 = await target.waitFor(path, 2);
  assert.ok(new Webhook(rotated.body.secret).verify(test2.body, test2.headers as Record<string, string>));
  assert.throws(() => new Webhook(secret).verify(test2.body, test2.headers as Record<string, string>), 'the old secret no longer signs');

  const row = await t.services.store.webhooks.findEndpoint(await t.services.users.workspaceOf(ownerId), id);
  assert.match(row!.secretCiphertext, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/, 'sealed with AES-GCM');
  const secretBody = rotated.body.secret.slice('whsec_'.length);
  assert.ok(!JSON.stringify(row).includes(secretBody) && !JSON.stringify(row).includes(Buffer.from(secretBody, 'base64').toString('base64url')), 'not in the clear');

  // step.waiting: an approval waiting fires it; a disabled endpoint gets nothing.
  const processId = await processOf([{ name: 'Ask', kind: 'approval', config: { message: 'please' } }]);
  const run = (await api('POST', `/api/v1/processes/${processId}/processruns`, { start: true })).body;
  const waiting = await target.waitFor(path, 3);
  assert.equal((JSON.parse(waiting.body) as { type: string; data: { id: string } }).data.id, run.id);
  assert.equal((await api('PATCH', `/api/v1/webhooks/${id}`, { disabled: true })).body.disabled, true);
  const another = (await api('POST', `/api/v1/processes/${processId}/processruns`, { start: true })).body;
  await waitForStep(api, another.id, 'Ask', ['Waiting']);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(target.to(path).length, 3, 'nothing more after it was disabled');
});

test('endpoints: a private URL, an unknown event or a missing field is a 422; another workspace sees none of them', async () => {
  for (const [body, field] of [
    [{ url: 'http://169.254.169.254/hook', events: ['run.finished'] }, 'url'],
    [{ url: 'ftp://example.com/hook', events: ['run.finished'] }, 'url'],
    [{ url: 'https://example.com/hook', events: ['run.exploded'] }, 'events'],
    [{ url: 'https://example.com/hook', events: [] }, 'events'],
  ] as const) {
    const response = await api('POST', '/api/v1/webhooks', body);
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.ok(response.body.errors.some((e: { field: string }) => e.field === field || e.field.startsWith(field)), JSON.stringify(response.body.errors));
  }
  const { id } = await endpoint('/private-list', ['run.finished']);
  const stranger = await createTestUser(t, { label: 'hook-stranger' });
  const other = apiClient(t, (await t.services.pats.create(stranger.id, { name: 'x', scopes: ['process'], expiresInDays: 1 }, SYSTEM)).token);
  assert.deepEqual((await other('GET', '/api/v1/webhooks')).body.data, []);
  for (const [method, path] of [['GET', `/api/v1/webhooks/${id}`], ['PATCH', `/api/v1/webhooks/${id}`], ['DELETE', `/api/v1/webhooks/${id}`], ['POST', `/api/v1/webhooks/${id}/test`], ['GET', `/api/v1/webhooks/${id}/messages`], ['POST', `/api/v1/webhooks/${id}/rotate-secret`]] as const) {
    assert.equal((await other(method, path, method === 'PATCH' ? { description: 'x' } : undefined)).status, 404, `${method} ${path}`);
  }
  assert.equal((await api('DELETE', `/api/v1/webhooks/${id}`)).status, 204);
});
