// Accounts a person can live with: changing one's password, an admin's
// one-time reset link (shown once, or mailed), and one's sessions. In-process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { createTestUser, InjectBrowser, PASSWORD, signedInBrowser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import type { User } from '../src/user/user.ts';
import { hashSecret } from '../src/security/secrets.ts';

let t: TestApp;

before(async () => {
  t = await startApp();
});
after(() => t?.close());

const user = (admin = false): Promise<User> => createTestUser(t, { admin, label: 'acct' });
const signedIn = (u: User, app = t, password = PASSWORD): Promise<InjectBrowser> => signedInBrowser(app, u, password);

const changePassword = async (browser: InjectBrowser, fields: { current: string; password: string; confirm?: string }) =>
  browser.post('/account/password', { csrf_token: await browser.csrf(), ...fields, confirm: fields.confirm ?? fields.password });

test('a user changes their password: the current one is checked, other sessions end, and they are told', async () => {
  const alice = await user();
  const here = await signedIn(alice);
  const elsewhere = await signedIn(alice);
  assert.equal((await elsewhere.get('/account')).statusCode, 200);

  const wrong = await changePassword(here, { current: 'not my password', password: 'a brand new password' });
  assert.equal(wrong.statusCode, 422);
  assert.match(wrong.body, /This is not your current password/);
  const mismatch = await changePassword(here, { current: PASSWORD, password: 'a brand new password', confirm: 'something else' });
  assert.match(mismatch.body, /The new passwords do not match/);
  const common = await changePassword(here, { current: PASSWORD, password: 'password123' });
  assert.equal(common.statusCode, 422);
  assert.match(common.body, /most common passwords/);
  assert.equal((await elsewhere.get('/account')).statusCode, 200, 'nothing changed yet');

  const changed = await changePassword(here, { current: PASSWORD, password: 'a brand new password' });
  assert.equal(changed.statusCode, 303, changed.body);
  const page = await here.get('/account');
  assert.equal(page.statusCode, 200, 'this session goes on');
  assert.match(page.body, /class="notice">Your password was changed\. You were signed out of 1 other session\./);
  const ended = await elsewhere.get('/account');
  assert.equal(ended.statusCode, 303, 'the other session has ended');
  assert.equal((await new InjectBrowser(t).signIn(alice.email, PASSWORD)).statusCode, 401, 'the old password no longer works');
  assert.equal((await new InjectBrowser(t).signIn(alice.email, 'a brand new password')).statusCode, 303);
});

test('the account page lists the user\'s sessions; they can end one, or all the others', async () => {
  const alice = await user();
  const mine = new InjectBrowser(t);
  await mine.request('GET', '/login', undefined, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
  const login = await mine.get('/login', { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)![1]!;
  await mine.post('/login', { csrf_token: csrf, return_to: '/', email: alice.email, password: PASSWORD }, { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' });
  const phone = await signedIn(alice);
  const laptop = await signedIn(alice);

  const page = await mine.get('/account');
  assert.match(page.body, /Firefox on Linux <span class="badge">This session<\/span>/);
  const ends = [...page.body.matchAll(/action="(\/account\/sessions\/[^"/]+\/end)"/g)].map((m) => m[1]!);
  assert.equal(ends.length, 2, 'the two other sessions can be ended, not this one');
  const cookie = mine.cookies.get('gh_session')!;
  assert.ok(!page.body.includes(cookie) && !page.body.includes(hashSecret(cookie)), 'neither the cookie nor its hash is on the page');

  const csrfToken = await mine.csrf();
  assert.equal((await mine.post(ends[0]!, { csrf_token: csrfToken })).statusCode, 303);
  const stillIn = [(await phone.get('/account')).statusCode, (await laptop.get('/account')).statusCode].sort();
  assert.deepEqual(stillIn, [200, 303], 'exactly one of the others was signed out');
  assert.match((await mine.get('/account')).body, /That session was signed out\./);

  assert.equal((await mine.post('/account/sessions/end-others', { csrf_token: csrfToken })).statusCode, 303);
  assert.match((await mine.get('/account')).body, /You were signed out of 1 other session\./);
  assert.equal((await phone.get('/account')).statusCode, 303);
  assert.equal((await laptop.get('/account')).statusCode, 303);
  assert.equal((await mine.get('/account')).statusCode, 200);
  // Another user's session handle ends nothing of theirs.
  const bob = await user();
  const bobs = await signedIn(bob);
  const bobHandle = /action="\/account\/sessions\/([^"/]+)\/end"/.exec((await (await signedIn(bob)).get('/account')).body)![1]!;
  await mine.post(`/account/sessions/${bobHandle}/end`, { csrf_token: csrfToken });
  assert.equal((await bobs.get('/account')).statusCode, 200);
});

test('an admin issues a one-time reset link: shown once, it works once, ends every session, and earlier links die', async () => {
  const admin = await user(true);
  const alice = await user();
  const adminBrowser = await signedIn(admin);
  const aliceBrowser = await signedIn(alice);
  const issue = async () => {
    const issued = await adminBrowser.post(`/admin/users/${alice.id}/reset-password`, { csrf_token: await adminBrowser.csrf('/admin/users') });
    assert.equal(issued.statusCode, 303);
    const page = await adminBrowser.get('/admin/users');
    const url = /id="reset-link" class="secret" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(url, 'the link is shown');
    assert.match(page.body, /No mail server is configured, so Gatehouse did not send it/);
    assert.doesNotMatch((await adminBrowser.get('/admin/users')).body, /id="reset-link"/, 'only once');
    return new URL(url.replace(/&amp;/g, '&'));
  };
  const first = await issue();
  const link = await issue();
  assert.equal((await new InjectBrowser(t).get(first.pathname + first.search)).statusCode, 404, 'a newer link replaces the older one');

  const visitor = new InjectBrowser(t);
  const form = await visitor.get(link.pathname + link.search);
  assert.equal(form.statusCode, 200);
  assert.match(form.body, new RegExp(`For <strong>${alice.email.replace('.', '\\.')}</strong>`));
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(form.body)![1]!;
  const token = link.searchParams.get('token')!;
  const weak = await visitor.post('/reset-password', { csrf_token: csrf, token, password: 'qwertyuiop', confirm: 'qwertyuiop' });
  assert.equal(weak.statusCode, 422);
  const done = await visitor.post('/reset-password', { csrf_token: csrf, token, password: 'chosen after a reset', confirm: 'chosen after a reset' });
  assert.equal(done.statusCode, 303, done.body);
  assert.equal(done.headers.location, '/login?reset=1');
  assert.match((await visitor.get('/login?reset=1')).body, /Your password was changed\. Sign in with the new one\./);
  assert.equal((await aliceBrowser.get('/account')).statusCode, 303, 'her sessions ended');
  assert.equal((await new InjectBrowser(t).get(link.pathname + link.search)).statusCode, 404, 'the link works once');
  assert.equal((await visitor.post('/reset-password', { csrf_token: csrf, token, password: 'another new password', confirm: 'another new password' })).statusCode, 404);
  await signedIn(alice, t, 'chosen after a reset');
});

test('an expired or unknown reset link is the 404 page; a member cannot issue links', async () => {
  const alice = await user();
  const token = 'an-expired-reset-token-of-forty-three-chars';
  await t.services.store.passwordResets.insert({
    tokenHash: hashSecret(token), userId: alice.id, createdBy: 'cli', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-02T00:00:00.000Z', usedAt: null,
  });
  for (const query of [`?token=${token}`, '?token=nope', '', '?token[]=x']) {
    const response = await new InjectBrowser(t).get(`/reset-password${query}`);
    assert.equal(response.statusCode, 404, query);
    assert.match(response.headers['content-type'] as string, /^text\/html/);
  }
  const member = await signedIn(await user());
  const refused = await member.post(`/admin/users/${alice.id}/reset-password`, { csrf_token: await member.csrf() });
  assert.equal(refused.statusCode, 404);
});

test('with GATEHOUSE_SMTP_URL the reset link is emailed to the user, and the page says so', async (c) => {
  const received: string[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
      stream.on('end', () => {
        received.push(data);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  c.after(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  const port = (smtp.server.address() as { port: number }).port;
  const mailing = await startApp({ GATEHOUSE_SMTP_URL: `smtp://127.0.0.1:${port}`, GATEHOUSE_MAIL_FROM: 'Gatehouse <noreply@gatehouse.test>' });
  c.after(() => mailing.close());
  const admin = await mailing.services.users.create({ email: 'mail-admin@example.test', password: PASSWORD, admin: true }, SYSTEM);
  const alice = await mailing.services.users.create({ email: 'mail-alice@example.test', password: PASSWORD }, SYSTEM);
  const browser = await signedIn(admin, mailing);
  await browser.post(`/admin/users/${alice.id}/reset-password`, { csrf_token: await browser.csrf('/admin/users') });
  const page = await browser.get('/admin/users');
  assert.match(page.body, /A one-time link to choose a new password was emailed to <strong>mail-alice@example\.test<\/strong>/);
  assert.doesNotMatch(page.body, /reset-password\?token=/, 'the link itself is not shown');
  assert.equal(received.length, 1);
  // Quoted-printable: soft line breaks, and = written as =3D.
  const mail = received[0]!.replace(/=\r\n/g, '').replace(/=3D/g, '=');
  assert.match(mail, /^To: mail-alice@example\.test/m);
  assert.match(mail, /^From: Gatehouse <noreply@gatehouse\.test>/m);
  const url = /(http:\/\/gatehouse\.test\/reset-password\?token=[A-Za-z0-9_-]+)/.exec(mail)?.[1];
  assert.ok(url, mail);
  assert.equal((await new InjectBrowser(mailing).get(new URL(url).pathname + new URL(url).search)).statusCode, 200);
});
