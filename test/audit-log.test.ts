// The audit log: every audited action, through the portal, the API, the
// password grant and the CLI, leaves a row saying who (actor kind and id),
// from where (address) and in which request (the x-request-id the response
// carried); admins browse, filter and export it at /admin/audit; a failure to
// record never fails the action; purgeOlderThan keeps what is recent; and no
// row holds any of the secrets the actions used. In process, on SQLite or
// PostgreSQL (TEST_DATABASE_URL).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { LightMyRequestResponse } from 'fastify';
import { createTestUser, InjectBrowser, PASSWORD, signedInBrowser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { apiClient, waitForStep, type Api } from './support/api.ts';
import { inputValue, tableRows } from './support/pages.ts';
import { CLI, run } from './support/server.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import { AuditEvents } from '../src/store/kysely/audit-events.ts';
import type { AuditAction, AuditEvent } from '../src/audit/audit-event.ts';
import type { User } from '../src/user/user.ts';

let t: TestApp;
let admin: User;
/** Every secret an action below used or was given: none may be in any audit row. */
const secrets: string[] = [PASSWORD];

before(async () => {
  t = await startApp();
});
after(() => t?.close());

const LOCAL = '127.0.0.1';
const requestIdOf = (response: LightMyRequestResponse): string => String(response.headers['x-request-id']);
const hiddenFields = (html: string): Record<string, string> =>
  Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));

/** The row `action` wrote in the request that got `response`; fails if there is none. */
async function rowOf(action: AuditAction, response: LightMyRequestResponse): Promise<AuditEvent> {
  const requestId = requestIdOf(response);
  const { items } = await t.services.audit.list({ action }, 100, null);
  const row = items.find((e) => e.requestId === requestId);
  assert.ok(row, `no ${action} row for request ${requestId} (status ${response.statusCode}); rows: ${JSON.stringify(items.slice(0, 3))}`);
  return row;
}

/** Asserts the row of `action` in that request names this actor, the target, and the test's address. */
async function assertRecorded(action: AuditAction, response: LightMyRequestResponse, actor: Pick<AuditEvent, 'actorKind' | 'actorId'>, targetId?: string): Promise<AuditEvent> {
  const row = await rowOf(action, response);
  assert.equal(row.actorKind, actor.actorKind, action);
  assert.equal(row.actorId, actor.actorId, action);
  assert.equal(row.ip, LOCAL, action);
  if (targetId !== undefined) assert.equal(row.targetId, targetId, action);
  return row;
}

const asUser = (user: User) => ({ actorKind: 'user' as const, actorId: user.id });
const anonymous = { actorKind: 'anonymous' as const, actorId: null };

test('the first admin set up in the browser is a registration by someone not signed in', async () => {
  const token = await t.services.firstRun.begin();
  assert.ok(token, 'no user exists yet');
  secrets.push(token);
  const browser = new InjectBrowser(t);
  const form = await browser.get(`/setup?token=${token}`);
  assert.equal(form.statusCode, 200);
  const created = await browser.post('/setup', { ...hiddenFields(form.body), email: 'root@example.test', password: 'the first admin password', confirm: 'the first admin password' });
  assert.equal(created.statusCode, 303, created.body);
  secrets.push('the first admin password');
  admin = await t.services.users.requireByEmail('root@example.test');
  const row = await assertRecorded('user.registered', created, anonymous, admin.id);
  assert.deepEqual(row.detail, { email: 'root@example.test', admin: true });
});

test('sign-ins in the portal, successful and failed, are recorded', async () => {
  const member = await createTestUser(t, { label: 'audit-signin' });
  const browser = new InjectBrowser(t);
  const ok = await browser.signIn(member.email, PASSWORD);
  assert.equal(ok.statusCode, 303);
  await assertRecorded('sign_in.succeeded', ok, asUser(member), member.id);

  const wrong = await new InjectBrowser(t).signIn(member.email, 'not the password');
  assert.equal(wrong.statusCode, 401);
  const failed = await assertRecorded('sign_in.failed', wrong, anonymous, member.id);
  assert.deepEqual(failed.detail, { method: 'password_form', reason: 'invalid', known_account: true });

  const unknown = await new InjectBrowser(t).signIn('nobody-here@example.test', 'typed by mistake');
  const stranger = await assertRecorded('sign_in.failed', unknown, anonymous);
  assert.equal(stranger.targetId, null, 'an unknown account is not named');
  secrets.push('not the password', 'typed by mistake');
});

test('admin actions: registering, disabling and enabling a user, and a reset link issued then used', async () => {
  const browser = await signedInBrowser(t, admin, 'the first admin password');
  const csrf = await browser.csrf('/admin/users');
  const made = await browser.post('/admin/users', { csrf_token: csrf, email: 'audited-new@example.test', password: 'a new user password' });
  assert.equal(made.statusCode, 303, made.body);
  secrets.push('a new user password');
  const newcomer = await t.services.users.requireByEmail('audited-new@example.test');
  await assertRecorded('user.registered', made, asUser(admin), newcomer.id);

  for (const action of ['disable', 'enable'] as const) {
    const response = await browser.post(`/admin/users/${newcomer.id}/${action}`, { csrf_token: csrf });
    assert.equal(response.statusCode, 303);
    await assertRecorded(action === 'disable' ? 'user.disabled' : 'user.enabled', response, asUser(admin), newcomer.id);
  }

  const issued = await browser.post(`/admin/users/${newcomer.id}/reset-password`, { csrf_token: csrf });
  assert.equal(issued.statusCode, 303);
  const row = await assertRecorded('password.reset_issued', issued, asUser(admin), newcomer.id);
  assert.deepEqual(Object.keys(row.detail).sort(), ['by_mail', 'expires_at']);
  const link = inputValue((await browser.get('/admin/users')).body, 'reset-link')!;
  secrets.push(link, new URL(link).searchParams.get('token')!);

  const visitor = new InjectBrowser(t);
  const resetPage = await visitor.get(new URL(link).pathname + new URL(link).search);
  const reset = await visitor.post('/reset-password', { ...hiddenFields(resetPage.body), password: 'a reset password', confirm: 'a reset password' });
  assert.equal(reset.statusCode, 303, reset.body);
  secrets.push('a reset password');
  await assertRecorded('password.reset_completed', reset, anonymous, newcomer.id);
});

test('a user\'s own actions: password change, applications, tokens, consent granted and revoked', async () => {
  const alice = await createTestUser(t, { label: 'audit-alice' });
  const browser = await signedInBrowser(t, alice);
  const csrf = await browser.csrf();
  secrets.push(csrf, ...browser.cookies.values());
  const changed = await browser.post('/account/password', { csrf_token: csrf, current: PASSWORD, password: 'alice changed it', confirm: 'alice changed it' });
  assert.equal(changed.statusCode, 303, changed.body);
  secrets.push('alice changed it');
  await assertRecorded('password.changed', changed, asUser(alice), alice.id);

  const created = await browser.post('/apps', { csrf_token: csrf, name: 'Audited robot', redirect_uris: '', client_type: 'confidential', 'grant:client_credentials': 'on', 'scope:process_read': 'on' });
  assert.equal(created.statusCode, 303, created.body);
  const clientId = String(created.headers.location).split('/').pop()!;
  secrets.push(inputValue((await browser.get(`/apps/${clientId}`)).body, 'client-secret')!);
  const row = await assertRecorded('client.created', created, asUser(alice), clientId);
  assert.equal(row.detail.name, 'Audited robot');
  const rotated = await browser.post(`/apps/${clientId}/rotate-secret`, { csrf_token: csrf, grace: '3600' });
  assert.equal(rotated.statusCode, 303, rotated.body);
  secrets.push(inputValue((await browser.get(`/apps/${clientId}`)).body, 'client-secret')!);
  await assertRecorded('client.secret_rotated', rotated, asUser(alice), clientId);
  const deleted = await browser.post(`/apps/${clientId}/delete`, { csrf_token: csrf });
  assert.equal(deleted.statusCode, 303);
  await assertRecorded('client.deleted', deleted, asUser(alice), clientId);

  const made = await browser.post('/tokens', { csrf_token: csrf, name: 'audited', scope_process_read: 'on', expiry: '30' });
  assert.equal(made.statusCode, 303, made.body);
  secrets.push(inputValue((await browser.get('/tokens')).body, 'new-token')!);
  const pat = (await t.services.pats.list(alice.id))[0]!;
  await assertRecorded('pat.created', made, asUser(alice), pat.id);
  const revoked = await browser.post(`/tokens/${pat.id}/revoke`, { csrf_token: csrf });
  assert.equal(revoked.statusCode, 303);
  await assertRecorded('pat.revoked', revoked, asUser(alice), pat.id);

  const owner = await createTestUser(t, { label: 'audit-owner' });
  const { client: app, clientSecret } = await t.services.clients.create({
    workspaceId: await t.services.users.workspaceOf(owner.id), createdBy: owner.id, name: 'Third party', redirectUris: ['https://third.example/cb'], grantTypes: ['authorization_code'],
  }, OPERATOR, SYSTEM);
  secrets.push(clientSecret!);
  const consent = await browser.get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.clientId, redirect_uri: 'https://third.example/cb', scope: 'process_read', state: 's' })}`);
  assert.equal(consent.statusCode, 200, consent.body);
  const approved = await browser.post('/oauth/authorize', { ...hiddenFields(consent.body), decision: 'approve' });
  assert.equal(approved.statusCode, 303, approved.body);
  secrets.push(new URL(String(approved.headers.location)).searchParams.get('code')!);
  const granted = await assertRecorded('consent.granted', approved, asUser(alice), app.clientId);
  assert.deepEqual(granted.detail.scopes, ['process_read']);
  const cutOff = await browser.post(`/account/authorized-apps/${app.clientId}/revoke`, { csrf_token: csrf });
  assert.equal(cutOff.statusCode, 303);
  await assertRecorded('consent.revoked', cutOff, asUser(alice), app.clientId);
});

test('the password grant records sign-ins: a failure as the client\'s, a success as the user\'s through the client', async () => {
  const bob = await createTestUser(t, { label: 'audit-bob' });
  const { client, clientSecret } = await t.services.clients.create({
    workspaceId: await t.services.users.workspaceOf(bob.id), createdBy: bob.id, name: 'Script', grantTypes: ['password', 'refresh_token'],
  }, OPERATOR, SYSTEM);
  secrets.push(clientSecret!);
  const grant = (password: string) => t.inject({
    method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: bob.email, password, client_id: client.clientId, client_secret: clientSecret! }).toString(),
  });
  const refused = await grant('a wrong grant password');
  assert.equal(refused.statusCode, 400);
  secrets.push('a wrong grant password');
  const failed = await assertRecorded('sign_in.failed', refused, { actorKind: 'client', actorId: client.clientId }, bob.id);
  assert.equal(failed.clientId, client.clientId);
  assert.equal(failed.detail.method, 'password_grant');

  const issued = await grant(PASSWORD);
  assert.equal(issued.statusCode, 200, issued.body);
  secrets.push(issued.json().access_token, issued.json().refresh_token);
  const ok = await assertRecorded('sign_in.succeeded', issued, asUser(bob), bob.id);
  assert.equal(ok.clientId, client.clientId);
});

test('run approvals, rejections and cancellations, in the portal and through the API', async () => {
  const carol = await createTestUser(t, { label: 'audit-carol' });
  const { token } = await t.services.pats.create(carol.id, { name: 'runs', scopes: ['process'], expiresInDays: 1 }, SYSTEM);
  secrets.push(token);
  const api: Api = apiClient(t, token);
  const process = await api('POST', '/api/v1/processes', { name: 'Audited close' });
  const step = await api('POST', `/api/v1/processes/${process.body.id}/steps`, { name: 'Sign-off', kind: 'approval', config: {} });
  const waitingRun = async () => {
    const created = await api('POST', `/api/v1/processes/${process.body.id}/processruns`, { start: true });
    await waitForStep(api, created.body.id, 'Sign-off', ['Waiting']);
    return created.body.id as string;
  };
  const browser = await signedInBrowser(t, carol);
  const csrf = await browser.csrf();

  const approvedRun = await waitingRun();
  const approved = await browser.post(`/processruns/${approvedRun}/steps/${step.body.id}/decide`, { csrf_token: csrf, decision: 'approve' });
  assert.equal(approved.statusCode, 303, approved.body);
  const row = await assertRecorded('run.approved', approved, asUser(carol), approvedRun);
  assert.equal(row.detail.step, 'Sign-off');
  const cancelledRun = await waitingRun();
  const cancelled = await browser.post(`/processruns/${cancelledRun}/cancel`, { csrf_token: csrf });
  assert.equal(cancelled.statusCode, 303);
  await assertRecorded('run.cancelled', cancelled, asUser(carol), cancelledRun);

  const rejectedRun = await waitingRun();
  const rejected = await t.inject({ method: 'POST', url: `/api/v1/processruns/${rejectedRun}/steps/${step.body.id}/reject`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(rejected.statusCode, 200, rejected.body);
  await assertRecorded('run.rejected', rejected, asUser(carol), rejectedRun);
  const apiCancelledRun = await waitingRun();
  const apiCancelled = await t.inject({ method: 'POST', url: `/api/v1/processruns/${apiCancelledRun}/cancel`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(apiCancelled.statusCode, 200);
  await assertRecorded('run.cancelled', apiCancelled, asUser(carol), apiCancelledRun);
});

test('PAT and consent actions through the API are the user\'s, with the request\'s id', async () => {
  const dave = await createTestUser(t, { label: 'audit-dave' });
  const { token } = await t.services.pats.create(dave.id, { name: 'admin of tokens', scopes: ['process'], expiresInDays: 7 }, SYSTEM);
  secrets.push(token);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const made = await t.inject({ method: 'POST', url: '/api/v1/users/me/tokens', headers, payload: JSON.stringify({ name: 'child', scopes: ['process_read'], expires_in_days: 1 }) });
  assert.equal(made.statusCode, 201, made.body);
  secrets.push(made.json().token);
  await assertRecorded('pat.created', made, asUser(dave), made.json().id);
  const gone = await t.inject({ method: 'DELETE', url: `/api/v1/users/me/tokens/${made.json().id}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(gone.statusCode, 204);
  await assertRecorded('pat.revoked', gone, asUser(dave), made.json().id);

  const { client, clientSecret } = await t.services.clients.create({
    workspaceId: await t.services.users.workspaceOf(dave.id), createdBy: dave.id, name: 'Sync', grantTypes: ['password', 'refresh_token'],
  }, OPERATOR, SYSTEM);
  const issued = await t.inject({
    method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: dave.email, password: PASSWORD, client_id: client.clientId, client_secret: clientSecret! }).toString(),
  });
  assert.equal(issued.statusCode, 200, issued.body);
  secrets.push(clientSecret!, issued.json().access_token, issued.json().refresh_token);
  const cutOff = await t.inject({ method: 'DELETE', url: `/api/v1/users/me/authorized-apps/${client.clientId}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(cutOff.statusCode, 204, cutOff.body);
  const row = await assertRecorded('consent.revoked', cutOff, asUser(dave), client.clientId);
  assert.equal(row.detail.authorizations_revoked, 1);
});

test('the CLI records as the operator, with no address or request id', async () => {
  const cli = async (...args: string[]) => {
    const result = await run(process.execPath, [CLI, ...args, '--json'], { env: { DATABASE_URL: t.services.config.databaseUrl } });
    assert.equal(result.code, 0, `gatehouse ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const email = 'cli-made@example.test';
  await cli('users', 'create', '--email', email, '--password', 'a password from the cli');
  secrets.push('a password from the cli');
  const user = await t.services.users.requireByEmail(email);
  const client = JSON.parse(await cli('clients', 'create', '--owner', email, '--name', 'CLI app')) as { client_id: string; client_secret: string };
  const pat = JSON.parse(await cli('tokens', 'create', '--user', email, '--name', 'cli')) as { id: string; token: string };
  const reset = JSON.parse(await cli('users', 'reset-password', '--email', email)) as { url: string };
  secrets.push(client.client_secret, pat.token, reset.url, new URL(reset.url).searchParams.get('token')!);
  await cli('users', 'disable', '--email', email);

  const lines = (await cli('audit', 'list', '--limit', '1000', '--since', new Date(Date.now() - 60_000).toISOString())).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const [action, target] of [['user.registered', user.id], ['client.created', client.client_id], ['pat.created', pat.id], ['password.reset_issued', user.id], ['user.disabled', user.id]]) {
    const line = lines.find((l) => l.action === action && l.target_id === target);
    assert.ok(line, `${action} of ${target} in ${JSON.stringify(lines.slice(0, 5))}`);
    assert.equal(line.actor_kind, 'operator');
    assert.equal(line.ip, null);
    assert.equal(line.request_id, null);
  }
  const onlyDisables = (await cli('audit', 'list', '--action', 'user.disabled')).trim().split('\n').map((l) => JSON.parse(l) as { action: string });
  assert.ok(onlyDisables.length >= 1 && onlyDisables.every((l) => l.action === 'user.disabled'));
  const bad = await run(process.execPath, [CLI, 'audit', 'list', '--action', 'nonsense'], { env: { DATABASE_URL: t.services.config.databaseUrl } });
  assert.equal(bad.code, 2, 'an unknown action is a usage error');
});

test('a member gets the 404 page for the audit log and its export, and has no link to it', async () => {
  const member = await signedInBrowser(t, await createTestUser(t, { label: 'audit-member' }));
  for (const path of ['/admin/audit', '/admin/audit/export', '/admin/audit?action=user.disabled']) {
    const response = await member.get(path);
    assert.equal(response.statusCode, 404, path);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /Page not found/);
  }
  assert.doesNotMatch((await member.get('/tokens')).body, /href="\/admin\/audit"/);
  assert.match((await (await signedInBrowser(t, admin, 'the first admin password')).get('/tokens')).body, /href="\/admin\/audit"/);
});

test('admins filter the log by action, actor and dates, page through it, and export the same selection as JSON lines', async () => {
  const browser = await signedInBrowser(t, admin, 'the first admin password');
  const page = await browser.get('/admin/audit');
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
  assert.match(page.body, /href="\/admin\/audit\/export"/);

  const disables = await browser.get('/admin/audit?action=user.disabled');
  const rows = tableRows(disables.body);
  assert.ok(rows.length >= 1);
  assert.ok(rows.every((cells) => cells[1] === 'user.disabled'), JSON.stringify(rows));
  assert.match(disables.body, /href="\/admin\/audit\/export\?action=user\.disabled"/, 'the export link keeps the filters');

  const byEmail = tableRows((await browser.get(`/admin/audit?actor=${encodeURIComponent(admin.email)}`)).body);
  assert.ok(byEmail.length >= 4 && byEmail.every((cells) => cells[2]!.startsWith(admin.email)), JSON.stringify(byEmail));
  const byId = tableRows((await browser.get(`/admin/audit?actor=${admin.id}`)).body);
  assert.equal(byId.length, byEmail.length);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal(tableRows((await browser.get(`/admin/audit?actor=${admin.id}&from=${today}&to=${today}`)).body).length, byId.length);
  assert.match((await browser.get('/admin/audit?to=2001-01-01')).body, /No events match these filters/);

  for (const bad of ['/admin/audit?from=2026-02-30', '/admin/audit?from=yesterday', '/admin/audit?action=nonsense', '/admin/audit?cursor=x%27', '/admin/audit?action=a&action=b']) {
    const response = await browser.get(bad);
    assert.equal(response.statusCode, 400, bad);
    assert.match(String(response.headers['content-type']), /^text\/html/, bad);
  }

  const exported = await browser.get(`/admin/audit/export?actor=${encodeURIComponent(admin.email)}`);
  assert.equal(exported.statusCode, 200);
  assert.match(String(exported.headers['content-type']), /^application\/x-ndjson/);
  const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l) as { actor_id: string; action: string; request_id: string });
  assert.equal(lines.length, byEmail.length);
  assert.ok(lines.every((l) => l.actor_id === admin.id && l.request_id));

  // Paging: 55 events of one actor are 50 on the first page and 5 behind "Older events".
  for (let i = 0; i < 55; i++) await t.services.audit.record({ actorKind: 'client', actorId: 'cl-pager', ip: null, requestId: null }, 'key.rotated', { type: 'key', id: `k${i}` });
  const first = await browser.get('/admin/audit?actor=cl-pager');
  assert.equal(tableRows(first.body).length, 50);
  const older = /href="(\/admin\/audit\?actor=cl-pager&amp;cursor=au-[a-z0-9]+)">Older events/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
  assert.ok(older, 'a link to older events');
  const second = await browser.get(older);
  assert.equal(tableRows(second.body).length, 5);
  assert.doesNotMatch(second.body, /Older events/);
  assert.equal((await browser.get('/admin/audit/export?actor=cl-pager')).body.trim().split('\n').length, 55, 'the export is every page');
});

test('a row that cannot be written is logged, and the action still succeeds, inside a transaction or not', async () => {
  const erin = await createTestUser(t, { label: 'audit-erin' });
  const browser = await signedInBrowser(t, erin);
  const csrf = await browser.csrf();
  // A real database error, not a thrown one: every row reuses one id, so all but the first break the primary key.
  const original = AuditEvents.prototype.insert;
  AuditEvents.prototype.insert = function (event) {
    return original.call(this, { ...event, id: 'au-duplicate' });
  };
  try {
    await t.services.audit.record(SYSTEM, 'key.rotated', { type: 'key', id: 'k-first' });
    const made = await browser.post('/tokens', { csrf_token: csrf, name: 'kept', scope_process_read: 'on', expiry: '30' });
    assert.equal(made.statusCode, 303, 'a plain insert after the action');
    secrets.push(inputValue((await browser.get('/tokens')).body, 'new-token')!);
    const pat = (await t.services.pats.list(erin.id))[0]!;
    const revoked = await browser.post(`/tokens/${pat.id}/revoke`, { csrf_token: csrf });
    assert.equal(revoked.statusCode, 303, 'in the action\'s transaction (on PostgreSQL, under a savepoint)');
    assert.notEqual((await t.services.pats.list(erin.id))[0]!.revokedAt, null, 'the revocation committed');
  } finally {
    AuditEvents.prototype.insert = original;
  }
  assert.match(t.log(), /the audit log could not record an action/);
});

test('purgeOlderThan deletes only rows from before the cutoff, a batch at a time; the cutoff follows the retention', async () => {
  const old = (i: number): AuditEvent => ({
    id: `au-000000000old${String(i).padStart(8, '0')}`, at: `2020-01-0${i + 1}T00:00:00.000Z`, action: 'key.rotated', actorKind: 'system',
    actorId: 'purge-test', clientId: null, targetType: null, targetId: null, ip: null, requestId: null, detail: {},
  });
  for (let i = 0; i < 5; i++) await t.services.store.auditEvents.insert(old(i));
  await t.services.audit.record({ actorKind: 'system', actorId: 'purge-test', ip: null, requestId: null }, 'key.rotated', null);
  const cutoff = '2021-01-01T00:00:00.000Z';
  assert.equal(await t.services.store.auditEvents.purgeOlderThan(cutoff, 2), 2);
  assert.equal(await t.services.store.auditEvents.purgeOlderThan(cutoff, 2), 2);
  assert.equal(await t.services.store.auditEvents.purgeOlderThan(cutoff, 2), 1);
  assert.equal(await t.services.store.auditEvents.purgeOlderThan(cutoff, 2), 0);
  const left = (await t.services.audit.list({ actorId: 'purge-test' }, 100, null)).items;
  assert.equal(left.length, 1, 'the recent row stays');
  assert.ok(left[0]!.at > cutoff);

  const now = Date.parse('2026-06-01T00:00:00.000Z');
  assert.equal(t.services.audit.cutoff(now), '2025-06-01T00:00:00.000Z', '365 days by default');
  assert.equal(t.services.config.auditRetentionDays, 365);
});

test('no audit row holds a secret the actions used, in any column', async () => {
  const url = t.services.config.databaseUrl;
  let rows: Array<Record<string, unknown>>;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true });
    rows = db.prepare('select * from audit_events').all() as Array<Record<string, unknown>>;
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    rows = (await client.query('select * from audit_events')).rows as Array<Record<string, unknown>>;
    await client.end();
  }
  assert.ok(rows.length >= 40, `the actions above were recorded (${rows.length} rows)`);
  assert.ok(secrets.length >= 25 && secrets.every((s) => typeof s === 'string' && s.length >= 8), JSON.stringify(secrets.map((s) => s?.length)));
  for (const row of rows) {
    const text = Object.values(row).map(String).join('\u0000');
    for (const secret of secrets) assert.ok(!text.includes(secret), `an audit row holds a secret: ${row.action as string}`);
  }
});
