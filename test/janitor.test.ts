// The janitor deletes what stopped mattering, every kind of it, until none is
// left (not a capped number per pass), and keeps what still matters; on
// PostgreSQL one node at a time runs it. Same tests on SQLite and PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { UserService } from '../src/user/user-service.ts';
import { quietAudit } from './support/audit.ts';
import { SYSTEM } from '../src/audit/audit-event.ts';
import { Janitor } from '../src/ops/janitor.ts';
import { startFamily } from '../src/oauth/tokens/refresh-family.ts';
import { freshStore, type FreshStore } from './support/store.ts';

let store: KyselyStore;
let url: string;
let fresh: FreshStore;
const PAST = '2020-01-01T00:00:00.000Z';
const FUTURE = '2999-01-01T00:00:00.000Z';
const ACCESS_TTL = 3600;
/** Audit retention as the server has it (365 days). */
const auditCutoff = (nowMs: number) => quietAudit(store).cutoff(nowMs);

before(async () => {
  fresh = await freshStore('janitor');
  ({ store, url } = fresh);
});

after(() => fresh.close());

async function owner(email: string) {
  const user = await new UserService(store, quietAudit(store)).create({ email, password: 'long enough pw' }, SYSTEM);
  const workspace = (await store.workspaces.findPersonal(user.id))!;
  const clientId = `cl-${email.split('@')[0]}`;
  await store.clients.insert({
    clientId, workspaceId: workspace.id, createdBy: user.id, name: 'R', secretHash: null, previousSecretHash: null, previousSecretExpiresAt: null,
    isPublic: true, firstParty: false, requirePkce: true, grantTypes: ['authorization_code', 'refresh_token'], scopes: ['process_read'], defaultScopes: ['process_read'],
    redirectUris: ['https://a.example/cb'], createdAt: PAST, updatedAt: PAST, ownerDisabled: false,
  });
  return { user, workspace, clientId };
}

test('a pass deletes expired sessions, revocations, counters, refresh-token families, PATs and old audit events, in batches until none is left; live rows stay', async () => {
  const { user, workspace, clientId } = await owner('janitor@example.test');
  const now = Date.now();
  const at = (ms: number) => new Date(ms).toISOString();
  for (let i = 0; i < 7; i++) {
    await store.sessions.insert({ idHash: `old-${i}`, userId: user.id, csrfToken: 'x', createdAt: PAST, expiresAt: PAST, userAgent: null, ip: null, lastSeenAt: null });
    await store.revocations.insert({ id: `rv-old-${i}`, kind: 'jti', value: `j${i}`, createdAt: PAST, expiresAt: PAST });
  }
  await store.sessions.insert({ idHash: 'live', userId: user.id, csrfToken: 'x', createdAt: PAST, expiresAt: FUTURE, userAgent: null, ip: null, lastSeenAt: null });
  await store.revocations.insert({ id: 'rv-live', kind: 'jti', value: 'live', createdAt: PAST, expiresAt: FUTURE });
  await store.attemptCounters.hit('old-counter', PAST, PAST);

  const authorization = (id: string, createdAt: string, revokedAt: string | null = null) =>
    store.authorizations.insert({ id, userId: user.id, clientId, workspaceId: workspace.id, scopes: ['process_read'], createdAt, revokedAt, refresh: null });
  // Families: expired long ago; refreshable still; no refresh but an access token may live; revoked long ago; revoked just now.
  await authorization('az-expired', PAST);
  await store.authorizations.startRefresh('az-expired', startFamily(Date.parse(PAST), 60).state);
  await authorization('az-refreshable', PAST);
  await store.authorizations.startRefresh('az-refreshable', startFamily(now, 3600).state);
  await authorization('az-access-alive', at(now - 60_000));
  await authorization('az-revoked-long-ago', PAST, PAST);
  await authorization('az-revoked-now', at(now - 60_000), at(now));

  const pat = (id: string, expiresAt: string | null) => store.personalAccessTokens.insert({
    id, userId: user.id, workspaceId: workspace.id, name: id, tokenHash: `hash-${id}`, scopes: ['process_read'], createdAt: PAST, lastUsedAt: null, expiresAt, revokedAt: null,
  });
  await pat('pat-expired', PAST);
  await pat('pat-live', FUTURE);
  await pat('pat-forever', null);

  const event = (id: string, at: string) => store.auditEvents.insert({
    id, at, action: 'user.disabled', actorKind: 'operator', actorId: 'ops', clientId: null, targetType: 'user', targetId: user.id, ip: null, requestId: null, detail: {},
  });
  await event('au-0000-past-retention', at(now - 366 * 86_400_000));
  await event('au-0001-kept', at(now - 300 * 86_400_000));

  const batches: Array<[string, number]> = [];
  const janitor = new Janitor(store, { accessTokenTtlSeconds: ACCESS_TTL, auditCutoff, batch: 2, onDeleted: (what, count) => batches.push([what, count]) });
  const counts = await janitor.run(new Date(now));
  assert.ok(counts, 'the pass ran');
  assert.equal(counts.sessions, 7, 'every expired session, over four batches of 2');
  assert.equal(counts.revocations, 7);
  assert.equal(counts.attempt_counters, 1);
  assert.equal(counts.authorizations, 2);
  assert.equal(counts.personal_access_tokens, 1);
  assert.equal(counts.audit_events, 1, 'audit events past the 365 days of retention');
  assert.deepEqual((await store.auditEvents.list({}, 10, null)).items.map((e) => e.id).filter((id) => id.startsWith('au-000')), ['au-0001-kept']);
  assert.deepEqual(batches.filter(([what]) => what === 'sessions').map(([, n]) => n), [2, 2, 2, 1]);

  for (let i = 0; i < 7; i++) assert.equal(await store.sessions.findByHash(`old-${i}`), undefined);
  assert.ok(await store.sessions.findByHash('live'));
  assert.deepEqual((await store.revocations.listSince(PAST, new Date().toISOString())).map((r) => r.id).filter((id) => id.startsWith('rv-')), ['rv-live']);
  assert.equal(await store.authorizations.findById('az-expired'), undefined);
  assert.equal(await store.authorizations.findById('az-revoked-long-ago'), undefined);
  for (const id of ['az-refreshable', 'az-access-alive', 'az-revoked-now']) assert.ok(await store.authorizations.findById(id), `${id} stays`);
  assert.equal(await store.personalAccessTokens.findById('pat-expired'), undefined);
  assert.ok(await store.personalAccessTokens.findById('pat-live'));
  assert.ok(await store.personalAccessTokens.findById('pat-forever'));

  const again = await janitor.run(new Date(now));
  assert.equal(Object.values(again!).reduce((a, b) => a + b, 0), 0, 'nothing is left for a second pass');
});

test('a backlog of many batches is purged in one pass (no cap of batches per pass)', async () => {
  const { user } = await owner('backlog@example.test');
  const rows = 1200;
  for (let i = 0; i < rows; i += 200) {
    await Promise.all(Array.from({ length: 200 }, (_, j) => store.revocations.insert({ id: `rv-backlog-${i + j}`, kind: 'jti', value: `${user.id}-${i + j}`, createdAt: PAST, expiresAt: PAST })));
  }
  // 120 batches: the old janitor stopped at 50 a pass.
  const counts = await new Janitor(store, { accessTokenTtlSeconds: ACCESS_TTL, auditCutoff, batch: 10 }).run();
  assert.equal(counts?.revocations, rows);
  assert.deepEqual((await store.revocations.listSince(PAST, new Date().toISOString())).filter((r) => r.id.startsWith('rv-backlog-')), []);
});

test('on PostgreSQL, a pass does not run while another node runs one', { skip: !process.env.TEST_DATABASE_URL }, async () => {
  const other = KyselyStore.open(url);
  try {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = other.exclusively('janitor', async () => {
      entered();
      await held;
    });
    await inside;
    assert.equal(await new Janitor(store, { accessTokenTtlSeconds: ACCESS_TTL, auditCutoff }).run(), undefined, 'the second node skips its pass');
    release();
    assert.equal(await first, true);
    assert.ok(await new Janitor(store, { accessTokenTtlSeconds: ACCESS_TTL, auditCutoff }).run(), 'once the lock is free, it runs');
  } finally {
    await other.close();
  }
});

test('gatehouse purge runs a pass and says what it deleted', async () => {
  await store.sessions.insert({ idHash: 'cli-old', userId: (await owner('cli@example.test')).user.id, csrfToken: 'x', createdAt: PAST, expiresAt: PAST, userAgent: null, ip: null, lastSeenAt: null });
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/gatehouse.js', 'purge', '--json'], { env: { ...process.env, DATABASE_URL: url } });
  const result = JSON.parse(stdout) as { deleted: Record<string, number> };
  assert.equal(result.deleted.sessions, 1);
  assert.equal(await store.sessions.findByHash('cli-old'), undefined);
});
