// The store's atomic operations behave the same on SQLite and PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { UserService } from '../src/user/user-service.ts';
import { ClientService, OPERATOR } from '../src/client/client-service.ts';
import { RevocationList } from '../src/oauth/tokens/revocation-list.ts';
import { rotateFamily, startFamily } from '../src/oauth/tokens/refresh-family.ts';
import { freshStore, type FreshStore } from './support/store.ts';
import { freshDatabase } from './support/server.ts';
import { quietAudit, SYSTEM } from './support/audit.ts';
import type { Run, StepRun } from '../src/runs/run.ts';

let store: KyselyStore;
let fresh: FreshStore;

before(async () => {
  fresh = await freshStore('store');
  store = fresh.store;
});

after(() => fresh.close());

test('migrations are idempotent', async () => {
  assert.deepEqual(await store.migrate(), []);
});

test('a fresh store gets every migration, then none on the next start', async () => {
  const dir2 = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
  const database = await freshDatabase(dir2);
  const fresh = KyselyStore.open(database.url);
  try {
    const applied = await fresh.migrate();
    assert.ok(applied.length >= 4, applied.join(', '));
    assert.deepEqual(await fresh.migrate(), []);
  } finally {
    await fresh.close();
    await database.drop();
    rmSync(dir2, { recursive: true, force: true });
  }
});

test('attempt counters count atomically and start a new window when the old one ends', async () => {
  const hit = async (now: string, ends: string) => (await store.attemptCounters.hit('k', now, ends)).count;
  const results = await Promise.all(Array.from({ length: 10 }, () => hit('2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z')));
  assert.deepEqual([...results].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(await store.attemptCounters.hit('k', '2026-01-01T00:02:00.000Z', '2026-01-01T00:03:00.000Z'), { count: 1, windowEndsAt: '2026-01-01T00:03:00.000Z' });
  assert.equal(await hit('2026-01-01T00:02:30.000Z', '2026-01-01T00:03:30.000Z'), 2, 'the same window goes on');
  await store.attemptCounters.undo('k');
  assert.equal(await hit('2026-01-01T00:02:40.000Z', '2026-01-01T00:03:40.000Z'), 2, 'a refunded attempt does not count');
  await store.attemptCounters.reset('k');
  assert.equal(await hit('2026-01-01T00:02:30.000Z', '2026-01-01T00:03:30.000Z'), 1);
  // A hold: extended only forward, and over once its time has passed.
  await store.attemptCounters.extend('hold', '2026-01-01T00:05:00.000Z');
  await store.attemptCounters.extend('hold', '2026-01-01T00:04:00.000Z');
  assert.equal(await store.attemptCounters.windowEnd('hold', '2026-01-01T00:04:30.000Z'), '2026-01-01T00:05:00.000Z');
  assert.equal(await store.attemptCounters.windowEnd('hold', '2026-01-01T00:05:00.000Z'), undefined);
});

test('a code is marked used once, even under concurrent exchanges; consent upserts', async () => {
  const user = await new UserService(store, quietAudit(store)).create({ email: 'store@example.test', password: 'long enough pw' }, SYSTEM);
  const workspace = await store.workspaces.findPersonal(user.id);
  const { client } = await new ClientService(store, { revocations: new RevocationList(store), accessTokenTtl: 300, audit: quietAudit(store) }).create({ workspaceId: workspace!.id, createdBy: user.id, name: 'S', redirectUris: ['https://a.example/cb'] }, OPERATOR, SYSTEM);
  const at = new Date().toISOString();
  await store.authorizations.insert({ id: 'a1', userId: user.id, clientId: client.clientId, workspaceId: workspace!.id, scopes: ['process_read'], createdAt: at, revokedAt: null, refresh: null });
  await store.authorizationCodes.insert({ codeHash: 'h1', authorizationId: 'a1', clientId: client.clientId, redirectUri: 'https://a.example/cb', redirectUriSent: true, codeChallenge: null, expiresAt: at, usedAt: null, createdAt: at });
  const wins = await Promise.all(Array.from({ length: 5 }, () => store.authorizationCodes.markUsed('h1', at)));
  assert.equal(wins.filter(Boolean).length, 1);
  assert.equal((await store.authorizationCodes.findByHash('h1'))?.redirectUriSent, true);

  await store.consents.save({ userId: user.id, clientId: client.clientId, scopes: ['process_read'], createdAt: at, updatedAt: at });
  await store.consents.save({ userId: user.id, clientId: client.clientId, scopes: ['process', 'process_read'], createdAt: at, updatedAt: at });
  const consents = await store.consents.listForUser(user.id);
  assert.equal(consents.length, 1);
  assert.deepEqual(consents[0]?.scopes, ['process', 'process_read']);
  assert.equal(consents[0]?.clientName, 'S');

  assert.deepEqual(await store.authorizations.revokeForUser(user.id, at, 'another-client'), []);
  assert.deepEqual(await store.authorizations.revokeForUser(user.id, at, client.clientId), ['a1']);
  assert.deepEqual(await store.authorizations.revokeForUser(user.id, at, client.clientId), []);
});

test('a transaction that fails leaves nothing behind', async () => {
  await assert.rejects(store.transaction(async (tx) => {
    await tx.revocations.insert({ id: 'r1', kind: 'jti', value: 'x', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2999-01-01T00:00:00.000Z' });
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual(await store.revocations.listSince('2000-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'), []);
});

/** A user, their workspace and a client, for tests that need an authorization. */
async function owner(email: string) {
  const user = await new UserService(store, quietAudit(store)).create({ email, password: 'long enough pw' }, SYSTEM);
  const workspace = (await store.workspaces.findPersonal(user.id))!;
  const { client } = await new ClientService(store, { revocations: new RevocationList(store), accessTokenTtl: 300, audit: quietAudit(store) })
    .create({ workspaceId: workspace.id, createdBy: user.id, name: 'R', redirectUris: ['https://a.example/cb'] }, OPERATOR, SYSTEM);
  return { user, workspace, client };
}

test('a refresh family rotates in place: of concurrent rotations one wins, and none after a revocation', async () => {
  const { user, workspace, client } = await owner('family@example.test');
  const at = new Date().toISOString();
  await store.authorizations.insert({ id: 'az-family', userId: user.id, clientId: client.clientId, workspaceId: workspace.id, scopes: ['process_read'], createdAt: at, revokedAt: null, refresh: null });
  assert.equal((await store.authorizations.findById('az-family'))?.refresh, null);

  const first = startFamily(Date.now(), 60);
  await store.authorizations.startRefresh('az-family', first.state);
  const found = await store.authorizations.findByRefreshHandle(first.state.handle);
  assert.equal(found?.id, 'az-family');
  assert.deepEqual(found?.refresh, first.state);
  assert.equal(await store.authorizations.findByRefreshHandle('no-such-handle'), undefined);

  const candidates = Array.from({ length: 5 }, () => rotateFamily(first.token, first.state, Date.now(), 60));
  const wins = await Promise.all(candidates.map((next) => store.authorizations.rotateRefresh('az-family', first.state.tokenHash, next.state)));
  assert.equal(wins.filter(Boolean).length, 1);
  const winner = candidates[wins.indexOf(true)]!;
  const rotated = (await store.authorizations.findByRefreshHandle(first.state.handle))?.refresh;
  assert.deepEqual(rotated, winner.state);
  assert.equal(rotated?.previousHash, first.state.tokenHash);

  assert.equal(await store.authorizations.revoke('az-family', at), true);
  const after = rotateFamily(winner.token, winner.state, Date.now(), 60);
  assert.equal(await store.authorizations.rotateRefresh('az-family', winner.state.tokenHash, after.state), false, 'a revoked family does not rotate');
});

test('outside a transaction, reads see only committed data and a write to the same row waits for the open transaction', async () => {
  const { user, workspace, client } = await owner('isolation@example.test');
  const created = '2026-01-01T00:00:00.000Z';
  await store.authorizations.insert({ id: 'az-tx', userId: user.id, clientId: client.clientId, workspaceId: workspace.id, scopes: ['process_read'], createdAt: created, revokedAt: null, refresh: null });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let changed!: () => void;
  const changedInside = new Promise<void>((resolve) => (changed = resolve));
  const transaction = store.transaction(async (tx) => {
    assert.equal(await tx.authorizations.revoke('az-tx', '2026-01-01T00:00:01.000Z'), true);
    changed();
    await held;
  });
  await changedInside;
  assert.equal((await store.authorizations.findById('az-tx'))?.revokedAt, null, 'an uncommitted change is not visible outside its transaction');
  let second: boolean | undefined;
  const revoke = store.authorizations.revoke('az-tx', '2026-01-01T00:00:02.000Z').then((result) => (second = result));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(second, undefined, 'the write waits for the open transaction');
  release();
  await transaction;
  assert.equal(await revoke, false, 'then it sees the committed change');
  assert.equal((await store.authorizations.findById('az-tx'))?.revokedAt, '2026-01-01T00:00:01.000Z');
});

test('a claim takes due runs with their steps, once; a worker\'s commit writes whole, and nothing once its lease is gone', async () => {
  const { user, workspace } = await owner('engine-store@example.test');
  const at = '2026-01-01T00:00:00.000Z';
  await store.processes.insert({ id: 'p-store', workspaceId: workspace.id, name: 'P', description: '', createdAt: at, modifiedAt: at, modifiedBy: user.id });
  const runOf = (id: string, dueAt: string | null): Run => ({
    id, processId: 'p-store', workspaceId: workspace.id, name: id, status: dueAt ? 'Scheduled' : 'NotStarted', input: { n: 1 }, data: { n: 1 },
    createdBy: user.id, createdAt: at, startedAt: dueAt, finishedAt: null, dueAt, leaseOwner: null, leaseExpiresAt: null,
  });
  const stepOf = (runId: string, position: number): StepRun => ({
    id: `${runId}-s${position}`, runId, stepId: `st-${position}`, position, name: `Step ${position}`, kind: 'transform', config: { expression: 'n', resultKey: `r${position}` },
    timeoutSeconds: null, retry: { maxAttempts: 1, backoffSeconds: 0 }, status: 'NotStarted', attempts: 0, startedAt: null, finishedAt: null,
    completionMessage: null, output: null, waitUntil: null, idempotencyKey: `${runId}-s${position}`,
  });
  for (const [id, due] of [['pr-a', at], ['pr-b', at], ['pr-later', '2026-01-02T00:00:00.000Z'], ['pr-idle', null]] as const) {
    await store.runs.insert(runOf(id, due), [stepOf(id, 2), stepOf(id, 1)]);
  }
  const now = '2026-01-01T00:00:01.000Z';
  const [first, second] = await Promise.all([store.runs.claim('node-a', now, '2026-01-01T00:00:31.000Z', 10), store.runs.claim('node-b', now, '2026-01-01T00:00:31.000Z', 10)]);
  const taken = [...first!, ...second!];
  assert.deepEqual(taken.map((c) => c.run.id).sort(), ['pr-a', 'pr-b'], 'only due runs, each by one node');
  for (const claimed of taken) {
    assert.deepEqual(claimed.steps.map((s) => [s.id, s.position, s.retry.maxAttempts, s.config.resultKey]), [
      [`${claimed.run.id}-s1`, 1, 1, 'r1'], [`${claimed.run.id}-s2`, 2, 1, 'r2'],
    ], 'each with its step runs, in order');
  }
  assert.deepEqual(await store.runs.claim('node-c', now, '2026-01-01T00:00:31.000Z', 10), [], 'a run under a live lease is not taken again');

  const claimed = taken.find((c) => c.run.id === 'pr-a')!;
  const owner_ = claimed.run.leaseOwner!;
  const step = { ...claimed.steps[0]!, status: 'Success' as const, attempts: 1, output: { v: 'ü "quoted" \\ back' }, completionMessage: 'done', finishedAt: now };
  const event = (type: string) => ({ runId: 'pr-a', workspaceId: workspace.id, at: now, type, stepRunId: step.id, stepId: step.stepId, attempt: 1, message: `it's ${type}`, data: { k: [1, 2] } });
  const run = { ...claimed.run, status: 'Running' as const, data: { n: 1, r1: step.output } };
  assert.equal(await store.runs.commitLeased({ run, owner: 'node-z', steps: [step], events: [event('step.succeeded')], messages: [] }), false, 'another owner writes nothing');
  assert.deepEqual(await store.runs.events('pr-a', 0, 10), []);
  assert.equal((await store.runs.stepRuns('pr-a'))[0]!.status, 'NotStarted');

  assert.equal(await store.runs.commitLeased({ run, owner: owner_, steps: [step], events: [event('step.started'), event('step.succeeded')], messages: [] }), true);
  const [saved] = await store.runs.stepRuns('pr-a');
  assert.deepEqual([saved!.status, saved!.attempts, saved!.output, saved!.completionMessage, saved!.finishedAt], ['Success', 1, step.output, 'done', now]);
  assert.deepEqual((await store.runs.findById('pr-a'))!.data, run.data);
  const events = await store.runs.events('pr-a', 0, 10);
  assert.deepEqual(events.map((e) => [e.type, e.message, e.attempt, e.data]), [['step.started', 'it\'s step.started', 1, { k: [1, 2] }], ['step.succeeded', 'it\'s step.succeeded', 1, { k: [1, 2] }]]);

  // An action takes the run (its lease goes); the worker's next commit is fenced out whole.
  assert.equal(await store.runs.save({ ...run, status: 'Cancelled', leaseOwner: null, leaseExpiresAt: null, dueAt: null }, { status: 'Running' }), true);
  const late = { ...step, status: 'Failed' as const };
  assert.equal(await store.runs.commitLeased({ run: { ...run, status: 'Failed' }, owner: owner_, steps: [late], events: [event('run.failed')], messages: [] }), false);
  assert.equal((await store.runs.findById('pr-a'))!.status, 'Cancelled');
  assert.equal((await store.runs.stepRuns('pr-a'))[0]!.status, 'Success');
  assert.equal((await store.runs.events('pr-a', 0, 10)).length, 2);
});
