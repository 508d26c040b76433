// First run: a server whose database has no user logs one set-up URL with a
// one-time token; that URL (and nothing else) creates the first admin, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createUser } from './support/fixtures.ts';
import { CookieBrowser, formFields, signIn } from './support/browser-http.ts';
import { assertSafePage, tableRows } from './support/pages.ts';

const SETUP_URL = /(\S+)\/setup\?token=([A-Za-z0-9_-]+)/g;

/** Every set-up URL the server logged. */
function setupUrls(server: TestServer): Array<{ url: string; base: string; token: string }> {
  return [...server.log().matchAll(SETUP_URL)].map((m) => ({ url: `${m[1]}/setup?token=${m[2]}`, base: m[1]!, token: m[2]! }));
}

/**
 * The one set-up URL, logged twice: in the JSON log, and as a plain line for
 * a person at a terminal. The plain line comes on stderr, which may reach this
 * process a moment after stdout's "listening" line: waited for, briefly.
 */
async function onlySetupUrl(server: TestServer) {
  for (let i = 0; i < 50 && !/^ {4}http\S+\/setup\?token=/m.test(server.log()); i++) await new Promise((r) => setTimeout(r, 20));
  const urls = setupUrls(server);
  assert.equal(new Set(urls.map((u) => u.url)).size, 1, `exactly one set-up URL in the log:\n${server.log()}`);
  const lines = server.log().split('\n').filter((line) => line.includes('/setup?token='));
  assert.equal(lines.filter((line) => line.startsWith('{')).length, 1, 'one JSON log line');
  assert.deepEqual(lines.filter((line) => !line.startsWith('{')), [`    ${urls[0]!.url}`], 'and the URL alone on a plain line');
  return urls[0]!;
}

async function users(server: TestServer) {
  return server.cliJson<Array<{ email: string; admin: boolean }>>('users', 'list');
}

/** Asserts the 404 page: no form, no sign of set-up. */
function assertNoSetupPage(response: { status: number; text: string; headers: Headers }, what: string): void {
  assert.equal(response.status, 404, `${what}: ${response.text}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.doesNotMatch(response.text, /action="\/setup"/, what);
  assert.doesNotMatch(response.text, /name="token"/, what);
}

test('`npm start` on an empty database logs one set-up URL on this server, with a 256-bit token', async (t) => {
  const server = await startServer({ viaNpm: true });
  t.after(() => server.stop());
  const { url, base, token } = await onlySetupUrl(server);
  assert.equal(base, server.url, 'the URL is on the issuer');
  assert.equal(new URL(url).pathname, '/setup');
  assert.ok(Buffer.from(token, 'base64url').length >= 32, `at least 256 bits: ${token}`);
  assert.ok(token.length >= 43);
  const line = JSON.parse(server.log().split('\n').find((l) => l.startsWith('{') && l.includes('/setup?token='))!) as { msg: string };
  assert.match(line.msg, /first admin/);
  // The harness's "listening" line is still there, after the set-up line.
  assert.ok(server.log().indexOf('Gatehouse is listening') > server.log().indexOf('/setup?token='));
});

test('each start makes a new token', async (t) => {
  const [a, b] = await Promise.all([startServer(), startServer()]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.notEqual((await onlySetupUrl(a)).token, (await onlySetupUrl(b)).token);
});

test('without the right token there is no set-up page: 404', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const { token } = await onlySetupUrl(server);
  const browser = new CookieBrowser(server.url);
  const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  const malformed = [`/setup?token=${'A'.repeat(300)}`, `/setup?token=${token}&token=${token}`, `/setup?token[a]=${token}`];
  for (const path of ['/setup', '/setup?token=', `/setup?token=${flipped}`, `/setup?token=${token.slice(0, -1)}`, `/setup?token=${token}x`, ...malformed]) {
    assertNoSetupPage(await browser.get(path), path);
  }
  // A POST with a wrong or missing token creates nothing, even with a valid CSRF pair.
  const form = await browser.get(`/setup?token=${token}`);
  assert.equal(form.status, 200);
  const fields = formFields(form.text, '/setup');
  for (const wrong of [flipped, '']) {
    const response = await browser.post('/setup', { ...fields, token: wrong, email: 'mallory@example.test', password: 'mallory password', confirm: 'mallory password' });
    assertNoSetupPage(response, `POST with token "${wrong}"`);
  }
  assert.deepEqual(await users(server), []);
});

test('the right token shows the form; it creates an admin, signs them in, and the URL is dead afterwards', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const { url, token } = await onlySetupUrl(server);
  const browser = new CookieBrowser(server.url);
  const form = await browser.get(url);
  assert.equal(form.status, 200, form.text);
  assertSafePage(form);
  for (const id of ['setup-email', 'setup-password', 'setup-confirm']) {
    assert.match(form.text, new RegExp(`<label for="${id}">`), `${id} has a label`);
  }
  const fields = formFields(form.text, '/setup');
  assert.equal(fields.token, token);
  assert.ok((fields.csrf_token ?? '').length >= 32);

  // Mismatched passwords: 422, the email kept, no user.
  const mismatch = await browser.post('/setup', { ...fields, email: 'Admin@Example.test', password: 'a long password', confirm: 'another password' });
  assert.equal(mismatch.status, 422);
  assert.match(mismatch.text, /value="Admin@Example.test"/);
  assert.match(mismatch.text, /The passwords do not match/);
  const short = await browser.post('/setup', { ...fields, email: 'admin@example.test', password: 'short', confirm: 'short' });
  assert.equal(short.status, 422);
  assert.match(short.text, /at least 8 characters/);
  // The double-submit CSRF: a browser without the cookie is refused.
  const noCookie = new CookieBrowser(server.url);
  const forged = await noCookie.post('/setup', { ...fields, email: 'admin@example.test', password: 'a long password', confirm: 'a long password' });
  assert.equal(forged.status, 403);
  assert.deepEqual(await users(server), []);

  const created = await browser.post('/setup', { ...fields, email: 'Admin@Example.test', password: 'a long password', confirm: 'a long password' });
  assert.equal(created.status, 303, created.text);
  assert.equal(created.headers.get('location'), '/apps');
  assert.ok(browser.cookie('gh_session'), 'signed in');
  assert.deepEqual((await users(server)).map((u) => [u.email, u.admin]), [['admin@example.test', true]]);

  // Signed in as an admin: the users page is theirs.
  const admin = await browser.get('/admin/users');
  assert.equal(admin.status, 200, admin.text);
  assert.deepEqual(tableRows(admin.text).map((row) => row.slice(0, 3)), [['admin@example.test (you)', 'Admin', 'Active']]);
  const again = new CookieBrowser(server.url);
  await signIn(again, 'admin@example.test', 'a long password');

  // The URL is dead, by GET and by POST.
  assertNoSetupPage(await browser.get(url), 'GET after set-up');
  assertNoSetupPage(await new CookieBrowser(server.url).get(url), 'GET after set-up, new browser');
  assertNoSetupPage(await browser.post('/setup', { ...fields, email: 'second@example.test', password: 'a long password', confirm: 'a long password' }), 'POST after set-up');
  assert.equal((await users(server)).length, 1);
});

test('a user made with the CLI ends the URL, and a server started on a database with a user logs none', async (t) => {
  const first = await startServer();
  t.after(() => first.stop());
  const { url } = await onlySetupUrl(first);
  assert.equal((await new CookieBrowser(first.url).get(url)).status, 200);
  await createUser(first);
  assertNoSetupPage(await new CookieBrowser(first.url).get(url), 'after a CLI user');

  const second = await startServer({ env: { DATABASE_URL: first.env.DATABASE_URL! } });
  t.after(() => second.stop());
  assert.match(second.log(), /Gatehouse is listening/);
  assert.deepEqual(setupUrls(second), [], 'no set-up URL');
  assert.doesNotMatch(second.log(), /setup/);
  assertNoSetupPage(await new CookieBrowser(second.url).get('/setup'), 'second server');
  // It shares the first one's database, so it stops first (stop() may run twice).
  await second.stop();
});
