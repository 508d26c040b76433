// Limits across nodes through Redis: counters shared by every node (a real
// redis-server of the test's own), client-authentication failures counted
// on two nodes adding up to one limit, and Redis going away: each node limits
// on its own, nothing hangs, no one is refused for it, one warning each way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisAttemptCounters } from '../src/security/redis-counters.ts';
import { MemoryAttemptCounters } from '../src/security/memory-counters.ts';
import { FailSafeCounters } from '../src/security/fail-safe-counters.ts';
import { Throttle } from '../src/security/throttle.ts';
import { ClientAuthenticator } from '../src/oauth/client-auth.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import { freePort } from './support/server.ts';
import { createTestUser, startApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';

/** A redis-server on a free port, nothing saved; stop() and start() again on the same port. */
async function privateRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new RedisAttemptCounters({ url: `redis://127.0.0.1:${port}`, prefix: 'probe:', timeoutMs: 200 });
    try {
      for (let i = 0; i < 50; i++) {
        if (await probe.ping().then(() => true, () => false)) return;
        await sleep(100);
      }
      throw new Error('redis-server did not start');
    } finally {
      probe.close();
    }
  };
  const stop = async () => {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child?.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

const window = (seconds: number) => {
  const now = Date.now();
  return [new Date(now).toISOString(), new Date(now + seconds * 1000).toISOString()] as const;
};

test('Redis counters: counted atomically across clients, in windows that end, taken back, reset and held', async (t) => {
  const redis = await privateRedis();
  t.after(() => redis.stop());
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const a = new RedisAttemptCounters({ url: redis.url, prefix, timeoutMs: 500 });
  const b = new RedisAttemptCounters({ url: redis.url, prefix, timeoutMs: 500 });
  t.after(() => { a.close(); b.close(); });

  const [now, end] = window(60);
  const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hit('k', now, end)));
  assert.deepEqual(counts.map((c) => c.count).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'two nodes, one count');
  assert.ok(Math.abs(Date.parse(counts[0]!.windowEndsAt) - Date.parse(end)) < 1000);
  await a.undo('k');
  assert.equal((await b.hit('k', ...window(60))).count, 10);
  await b.reset('k');
  assert.equal((await a.hit('k', ...window(60))).count, 1);

  const [shortNow, shortEnd] = window(0.3);
  await a.hit('short', shortNow, shortEnd);
  await sleep(400);
  assert.equal((await a.hit('short', ...window(60))).count, 1, 'a new window once the old one ended');

  assert.equal(await a.windowEnd('held', new Date().toISOString()), undefined);
  await a.extend('held', new Date(Date.now() + 30_000).toISOString());
  const held = await b.windowEnd('held', new Date().toISOString());
  assert.ok(held && Date.parse(held) > Date.now() + 25_000, 'a hold is seen by the other node');
});

test('client authentication: failures on two nodes add up to one limit through Redis (plus one per other node); a success costs no round trip', async (t) => {
  const redis = await privateRedis();
  t.after(() => redis.stop());
  const app = await startApp();
  t.after(() => app.close());
  const user = await createTestUser(app, { label: 'redis' });
  const workspace = (await app.services.users.personalWorkspaceOf(user.email)).workspaceId;
  const { client, clientSecret } = await app.services.clients.create({ workspaceId: workspace, createdBy: user.id, name: 'R', grantTypes: ['client_credentials'] }, OPERATOR, SYSTEM);
  const prefix = `t${randomBytes(4).toString('hex')}:`;
  const counters = [new RedisAttemptCounters({ url: redis.url, prefix, timeoutMs: 500 }), new RedisAttemptCounters({ url: redis.url, prefix, timeoutMs: 500 })];
  t.after(() => counters.forEach((c) => c.close()));
  const nodes = counters.map((c) => new ClientAuthenticator(app.services.clients, c));
  const attempt = (node: ClientAuthenticator, secret: string) =>
    node.authenticate({ headers: {}, ip: '203.0.113.9' }, { client_id: client.clientId, client_secret: secret }).then(() => 'ok', (error: { error: string; message: string }) => error.message);

  assert.equal(await attempt(nodes[0]!, clientSecret!), 'ok');
  for (let i = 0; i < 20; i++) assert.match(await attempt(nodes[i % 2]!, 'wrong'), /authentication failed/);
  // Ten failures each: neither node alone is over the limit of 20, together they are. The node of the
  // 20th failure refuses at once; the other learns it at its next failure (a success asks Redis nothing),
  // so guesses spread over N nodes get at most N - 1 more than the limit.
  assert.match(await attempt(nodes[1]!, clientSecret!), /too many failed client authentications/);
  assert.match(await attempt(nodes[0]!, 'wrong again'), /authentication failed/);
  assert.match(await attempt(nodes[0]!, clientSecret!), /too many failed client authentications/);
});

test('Redis going away: limits hold per node, nothing waits, no one is refused for it; one warning when it goes, one when it is back', async (t) => {
  const redis = await privateRedis();
  t.after(() => redis.stop());
  const changes: string[] = [];
  const shared = new RedisAttemptCounters({ url: redis.url, prefix: `t${randomBytes(4).toString('hex')}:`, timeoutMs: 300 });
  t.after(() => shared.close());
  const counters = new FailSafeCounters(shared, new MemoryAttemptCounters(), (up) => changes.push(up ? 'up' : 'down'));
  const throttle = new Throttle(counters);
  const rule = { name: 'signin', limit: 3, windowSeconds: 60 };
  assert.equal((await throttle.attempt([[rule, 'alice']])).allowed, true);
  assert.equal(counters.shared, true);

  await redis.stop();
  const started = Date.now();
  const verdicts = [];
  for (let i = 0; i < 5; i++) verdicts.push((await throttle.attempt([[rule, 'bob']])).allowed);
  assert.ok(Date.now() - started < 1500, `five attempts took ${Date.now() - started} ms`);
  assert.deepEqual(verdicts, [true, true, true, false, false], 'the limit still holds, counted on this node');
  assert.equal((await throttle.attempt([[rule, 'carol']])).allowed, true, 'someone else is not refused');
  assert.deepEqual(changes, ['down'], 'one warning');

  await redis.start();
  await sleep(5200);
  for (let i = 0; i < 20 && !counters.shared; i++) {
    await throttle.attempt([[rule, 'dave']]);
    await sleep(200);
  }
  assert.equal(counters.shared, true, 'shared again once Redis is back');
  assert.deepEqual(changes, ['down', 'up']);
});

test('REDIS_URL: a server counts its sign-in attempts in Redis, under its prefix', async (t) => {
  const redis = await privateRedis();
  t.after(() => redis.stop());
  const prefix = `gh${randomBytes(4).toString('hex')}:`;
  const app = await startApp({ REDIS_URL: redis.url, GATEHOUSE_REDIS_PREFIX: prefix });
  t.after(() => app.close());
  const user = await createTestUser(app, { label: 'redis-signin' });
  for (let i = 0; i < 3; i++) await app.services.credentials.check(user.email, 'not the password', '198.51.100.7');
  const probe = new RedisAttemptCounters({ url: redis.url, prefix: '', timeoutMs: 500 });
  t.after(() => probe.close());
  const held = await probe.windowEnd(`${prefix}signin:${user.email}|198.51.100.7`, new Date().toISOString());
  assert.ok(held, 'the per-account-and-address counter lives in Redis');
});
