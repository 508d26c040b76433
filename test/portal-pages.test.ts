// The page layer and the pages a newcomer meets: Processes, 404s, error pages,
// sign-in during an authorization. In-process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createTestUser, InjectBrowser, signedInBrowser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import { registerPageLayer } from '../src/web/page-layer.ts';
import type { User } from '../src/user/user.ts';

let t: TestApp;

before(async () => {
  t = await startApp();
});
after(() => t?.close());

const user = (): Promise<User> => createTestUser(t, { label: 'pages' });
const signedIn = (u: User): Promise<InjectBrowser> => signedInBrowser(t, u);

test('Processes: an empty state for a newcomer, then a created process listed with its id, which the API reads', async () => {
  const alice = await user();
  const browser = await signedIn(alice);
  const empty = await browser.get('/processes');
  assert.equal(empty.statusCode, 200);
  assert.match(empty.body, /<h2>No processes yet<\/h2>/);
  assert.match(empty.body, /A <strong>process<\/strong> is a piece of automated work/);
  assert.ok(empty.body.includes('curl -H "Authorization: Bearer your_access_token" http://gatehouse.test/api/v1/processes/your_process_id'), 'how to call one');
  assert.match(empty.body, /href="\/processes" aria-current="page">Processes</);

  const csrf = await browser.csrf('/processes');
  const invalid = await browser.post('/processes', { csrf_token: csrf, name: '   ' });
  assert.equal(invalid.statusCode, 422);
  assert.match(invalid.body, /Enter a name of 1 to 200 characters/);
  const created = await browser.post('/processes', { csrf_token: csrf, name: 'Month-end <close>', description: 'Reconciles the ledger' });
  assert.equal(created.statusCode, 303);
  const list = await browser.get('/processes');
  const id = /<code id="process-id-0">(p-[a-z0-9]+)<\/code>/.exec(list.body)?.[1];
  assert.ok(id, list.body);
  assert.match(list.body, new RegExp(`class="notice">Created “Month-end &lt;close&gt;”, ID ${id}\\.`));
  assert.match(list.body, /Reconciles the ledger/);

  const { token } = await t.services.pats.create(alice.id, { name: 'read', scopes: ['process_read'], expiresInDays: 1 }, SYSTEM);
  const read = await t.inject({ method: 'GET', url: `/api/v1/processes/${id}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(read.statusCode, 200);
  assert.equal(read.json().name, 'Month-end <close>');
  assert.equal(read.json().lastModifiedBy, alice.email);
  // Another user's list does not show it.
  assert.doesNotMatch((await (await signedIn(await user())).get('/processes')).body, new RegExp(id));
});

test('a mistyped address: the HTML 404 page for a browser, JSON for API clients and API paths', async () => {
  const browser = await signedIn(await user());
  const page = await browser.get('/procesess', { accept: 'text/html,application/xhtml+xml' });
  assert.equal(page.statusCode, 404);
  assert.match(page.headers['content-type'] as string, /^text\/html/);
  assert.match(page.body, /<h1>Page not found<\/h1>/);
  assert.match(page.body, /<link rel="stylesheet" href="\/assets\/gatehouse.css">/);
  assert.equal(page.headers['content-security-policy']?.includes("default-src 'none'"), true);
  for (const [url, accept] of [['/procesess', 'application/json'], ['/procesess', '*/*'], ['/api/v1/nope', 'text/html'], ['/.well-known/nope', 'text/html']]) {
    const response = await t.inject({ method: 'GET', url: url!, headers: { accept: accept! } });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error, 'not_found', `${url} ${accept}`);
  }
});

test('every page family answers errors with the page, never JSON: /device with an over-long user_code', async () => {
  const browser = await signedIn(await user());
  const response = await browser.get(`/device?user_code=${'A'.repeat(30)}`);
  assert.equal(response.statusCode, 400);
  assert.match(response.headers['content-type'] as string, /^text\/html/);
  assert.match(response.body, /<h1>Invalid request<\/h1>/);
  const apps = await browser.get(`/apps/${'x'.repeat(300)}`, { accept: 'text/html' });
  assert.equal(apps.statusCode, 414);
  assert.match(apps.headers['content-type'] as string, /^text\/html/);
});

test('signing in during an authorization names the app', async () => {
  const owner = await user();
  const { client } = await t.services.clients.create({
    workspaceId: await t.services.users.workspaceOf(owner.id), createdBy: owner.id, name: 'Ledger <Sync>', redirectUris: ['https://ledger.example/cb'],
  }, OPERATOR, SYSTEM);
  const authorize = `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: client.clientId, scope: 'process_read', state: 's' })}`;
  const browser = new InjectBrowser(t);
  const redirect = await browser.get(authorize);
  assert.equal(redirect.statusCode, 303);
  const login = await browser.get(redirect.headers.location as string);
  assert.match(login.body, /<title>Sign in to continue to Ledger &lt;Sync&gt; · Gatehouse<\/title>/);
  assert.match(login.body, /to continue to <strong>Ledger &lt;Sync&gt;<\/strong>/);
  assert.doesNotMatch((await browser.get('/login')).body, /to continue to/);
});

test('the page layer refuses a public form route that does not say which CSRF token it takes', async () => {
  const app = Fastify();
  const build = async () => {
    await app.register(async (pages) => {
      await registerPageLayer(pages, { sessions: t.services.sessions, issuer: 'http://gatehouse.test' });
      pages.post('/unguarded', { config: { access: 'public' } }, async () => 'ok');
    });
    await app.ready();
  };
  await assert.rejects(build(), /POST \/unguarded is public: it must declare config.csrf/);
  await app.close();
});

test('a signed-in page is signed-in by default; a POST from another origin is refused before anything happens', async () => {
  const alice = await user();
  const browser = await signedIn(alice);
  const csrf = await browser.csrf('/processes');
  const forged = await browser.post('/processes', { csrf_token: csrf, name: 'Forged' }, { origin: 'http://evil.test' });
  assert.equal(forged.statusCode, 403);
  assert.match(forged.body, /<h1>Request refused<\/h1>/);
  const sibling = await browser.post('/processes', { csrf_token: csrf, name: 'Forged' }, { 'sec-fetch-site': 'same-site' });
  assert.equal(sibling.statusCode, 403);
  assert.doesNotMatch((await browser.get('/processes')).body, /Forged/);
  assert.equal((await new InjectBrowser(t).get('/processes')).statusCode, 303, 'signed out: to sign in');
});
