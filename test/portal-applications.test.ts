// The Applications pages of the developer portal (/apps): a signed-in user
// registers, edits, rotates and deletes OAuth clients of their own workspace.
// A new secret is shown once; deleting an app ends every token it holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createAdmin, createClient, createProcess, createUser } from './support/fixtures.ts';
import { apiRequest, assertOAuthError, tokenRequest } from './support/http.ts';
import { CookieBrowser, formFields, signIn, type PageResponse } from './support/browser-http.ts';
import { refresh, userTokens } from './support/user-tokens.ts';

const CALLBACK = 'https://app.example.com/callback';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let server: TestServer;

before(async () => {
  server = await startServer();
});
after(() => server?.stop());

interface Account {
  user: { email: string; password: string };
  browser: CookieBrowser;
}

async function signedIn(options: { admin?: boolean } = {}): Promise<Account> {
  const user = options.admin ? await createAdmin(server) : await createUser(server);
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  return { user, browser };
}

interface AppInput {
  name?: string;
  redirect_uris?: string;
  client_type?: string;
  grants?: string[];
  scopes?: string[];
}

/** The fields of the new-application form, as a browser would send them. */
function appForm(input: AppInput = {}): Record<string, string> {
  const form: Record<string, string> = {
    name: input.name ?? 'Nightly robot',
    redirect_uris: input.redirect_uris ?? '',
    client_type: input.client_type ?? 'confidential',
  };
  for (const grant of input.grants ?? ['client_credentials']) form[`grant:${grant}`] = 'on';
  for (const scope of input.scopes ?? ['process_read', 'process']) form[`scope:${scope}`] = 'on';
  return form;
}

/** The hidden fields (the CSRF token) of the form posting to `action` on the page at `path`. */
async function hiddenFields(browser: CookieBrowser, path: string, action: string): Promise<Record<string, string>> {
  const page = await browser.get(path);
  assert.equal(page.status, 200, page.text);
  return formFields(page.text, action);
}

const SECRET_INPUT = /<input\b[^>]*\bid="client-secret"[^>]*\bvalue="([^"]*)"/;
const secretIn = (text: string): string | undefined => SECRET_INPUT.exec(text)?.[1];

/** Creates an app through the form; returns its id, the page the browser was sent to, and the secret shown there. */
async function createApp(browser: CookieBrowser, input: AppInput = {}) {
  const response = await browser.post('/apps', { ...(await hiddenFields(browser, '/apps/new', '/apps')), ...appForm(input) });
  assert.equal(response.status, 303, response.text);
  const match = /^\/apps\/([^/]+)$/.exec(response.location!.pathname);
  assert.ok(match, `redirected to the app's page, not ${response.location}`);
  const clientId = decodeURIComponent(match[1]!);
  const detail = await browser.get(response.location!);
  assert.equal(detail.status, 200, detail.text);
  return { clientId, response, detail, secret: secretIn(detail.text) };
}

const clientCredentials = (clientId: string, secret: string) =>
  tokenRequest(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });

async function accessToken(clientId: string, secret: string): Promise<string> {
  const response = await clientCredentials(clientId, secret);
  assert.equal(response.status, 200, response.text);
  return response.body.access_token as string;
}

/** Asserts what every page must carry: the security headers, and no inline script or style. */
function assertSafePage(response: PageResponse, what: string): void {
  const context = `${what}: ${response.status}`;
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/, context);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, context);
  assert.match(csp, /script-src 'self'(;|$)/, context);
  assert.doesNotMatch(csp, /unsafe-inline/, context);
  assert.equal(response.headers.get('x-frame-options'), 'DENY', context);
  assert.equal(response.headers.get('cache-control'), 'no-store', context);
  for (const tag of response.text.match(/<script\b[^>]*>/gi) ?? []) {
    assert.match(tag, /\bsrc="\/assets\/[\w.-]+\.js"/, `${context}: an inline script: ${tag}`);
  }
  assert.doesNotMatch(response.text, /<script\b[^>]*>[^<]+<\/script>/i, `${context}: script content`);
  assert.doesNotMatch(response.text, /<style\b/i, `${context}: a <style> element`);
  assert.doesNotMatch(response.text, /<[a-z][^>]*\sstyle\s*=/i, `${context}: a style attribute`);
  assert.doesNotMatch(response.text, /<[a-z][^>]*\son[a-z]+\s*=/i, `${context}: an event handler attribute`);
}

test('every page needs sign-in: 303 to /login with return_to, and a POST changes nothing', async () => {
  const { browser: owner } = await signedIn();
  const { clientId } = await createApp(owner, { name: 'Signed-in only' });
  const anonymous = new CookieBrowser(server.url);
  for (const path of ['/apps', '/apps/new', `/apps/${clientId}`, `/apps/${clientId}/delete`]) {
    const response = await anonymous.get(path);
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get('location'), `/login?return_to=${encodeURIComponent(path)}`, path);
  }
  // A POST sends the browser back to a page it can GET afterwards.
  const posts: Array<[string, string]> = [
    ['/apps', '/apps/new'],
    [`/apps/${clientId}`, `/apps/${clientId}`],
    [`/apps/${clientId}/rotate-secret`, `/apps/${clientId}`],
    [`/apps/${clientId}/delete`, `/apps/${clientId}/delete`],
  ];
  for (const [path, returnTo] of posts) {
    const response = await anonymous.post(path, { csrf_token: 'x', ...appForm({ name: 'Sneaky' }), grace: '0' });
    assert.equal(response.status, 303, path);
    assert.equal(response.headers.get('location'), `/login?return_to=${encodeURIComponent(returnTo)}`, path);
  }
  const list = await owner.get('/apps');
  assert.ok(list.text.includes('Signed-in only'), 'the app was neither renamed nor deleted');
  assert.ok(!list.text.includes('Sneaky'));

  // Signing in from there leads back to the page.
  const user = await createUser(server);
  const login = await anonymous.get((await anonymous.get('/apps/new')).location!);
  const back = await anonymous.post('/login', { ...formFields(login.text, '/login'), email: user.email, password: user.password });
  assert.equal(back.status, 303, back.text);
  assert.equal(back.headers.get('location'), '/apps/new');
});

test('create: the app page shows the secret once, with a warning; a reload does not', async () => {
  const { browser } = await signedIn();
  const { clientId, response, detail, secret } = await createApp(browser, { name: 'Ledger sync' });
  assert.ok(secret, `the secret is on the page:\n${detail.text}`);
  assert.match(secret, /^gcs_[A-Za-z0-9_-]{43,}$/);
  assert.ok(detail.text.includes(`value="${clientId}"`), 'the client id is shown');
  assert.match(detail.text, /cannot be shown again/);
  assert.match(detail.text, /role="status"[^>]*>\s*<p class="notice">Ledger sync was created\./);
  assert.match(detail.text, /data-copy="client-secret"/, 'a copy button for the secret');
  assert.match(detail.text, /<script src="\/assets\/copy\.js" defer><\/script>/);

  // Not in the redirect, nor in a cookie.
  assert.ok(!response.headers.get('location')!.includes(secret));
  for (const [, cookie] of browser.cookies) assert.ok(!cookie.line.includes(secret));

  const reload = await browser.get(`/apps/${clientId}`);
  assert.equal(reload.status, 200);
  assert.equal(secretIn(reload.text), undefined, 'the secret is gone on reload');
  assert.ok(!reload.text.includes(secret));
  assert.ok(!reload.text.includes('was created'), 'and so is the notice');
  assert.ok(reload.text.includes(`value="${clientId}"`), 'the client id is still shown');
  assert.ok(!server.log().includes(secret), 'the secret is not logged');
});

test('a HEAD request of the app page does not use up the one-time secret', async () => {
  const { browser } = await signedIn();
  const created = await browser.post('/apps', { ...(await hiddenFields(browser, '/apps/new', '/apps')), ...appForm() });
  assert.equal(created.status, 303, created.text);
  const head = await browser.request(created.location!, { method: 'HEAD' });
  assert.equal(head.status, 200);
  const page = await browser.get(created.location!);
  assert.match(secretIn(page.text) ?? '', /^gcs_/, 'the GET after the HEAD still shows the secret');
});

test('the secret shown works with the client-credentials grant, for the chosen scopes', async () => {
  const { browser } = await signedIn();
  const { clientId, secret } = await createApp(browser, { scopes: ['process_read'] });
  const granted = await clientCredentials(clientId, secret!);
  assert.equal(granted.status, 200, granted.text);
  assert.equal(granted.body.scope, 'process_read');
  assertOAuthError(await tokenRequest(server, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret!, scope: 'process' }), 400, 'invalid_scope');
  assertOAuthError(await clientCredentials(clientId, `${secret}x`), 401, 'invalid_client');
});

test('a public app gets no secret, and its page says so', async () => {
  const { browser } = await signedIn();
  const { clientId, secret, detail } = await createApp(browser, {
    name: 'Phone app', client_type: 'public', redirect_uris: 'com.example.phone:/cb', grants: ['authorization_code', 'refresh_token', DEVICE_GRANT],
  });
  assert.equal(secret, undefined);
  assert.match(detail.text, /has no client secret/);
  assert.ok(!detail.text.includes('/rotate-secret'), 'no rotation for a public app');
  const rotate = await browser.post(`/apps/${clientId}/rotate-secret`, { ...formFields(detail.text, `/apps/${clientId}`), grace: '0' });
  assert.equal(rotate.status, 400);
  const shown = await server.cliJson<{ public: boolean; grant_types: string[]; redirect_uris: string[] }>('clients', 'show', clientId);
  assert.equal(shown.public, true);
  assert.deepEqual(new Set(shown.grant_types), new Set(['authorization_code', 'refresh_token', DEVICE_GRANT]));
  assert.deepEqual(shown.redirect_uris, ['com.example.phone:/cb']);
});

test('validation errors: 422, the form again with the input kept and a message at each field', async () => {
  const { browser } = await signedIn();
  const csrf = await hiddenFields(browser, '/apps/new', '/apps');
  const response = await browser.post('/apps', {
    ...csrf,
    ...appForm({ name: '   ', redirect_uris: 'https://ok.example.com/cb\nhttp://example.com', grants: ['authorization_code', 'refresh_token'], scopes: ['process'] }),
  });
  assert.equal(response.status, 422, response.text);
  assertSafePage(response, 'the form with errors');
  assert.match(response.text, /<title>Error: New application/);
  assert.match(response.text, /class="error-summary" role="alert"/);
  assert.match(response.text, /id="name-error"[^>]*>.*Enter a name of 1 to 200 characters\./);
  assert.match(response.text, /id="redirect_uris-error"[^>]*>.*http:\/\/example\.com must use https/);
  assert.match(response.text, /<input type="text" id="name" name="name" value=" {3}"[^>]*aria-invalid="true"/);
  assert.match(response.text, /<textarea id="redirect_uris"[^>]*aria-invalid="true"[^>]*>https:\/\/ok\.example\.com\/cb\nhttp:\/\/example\.com<\/textarea>/);
  // The choices are kept too.
  assert.match(response.text, /name="grant:authorization_code" value="on"[^>]*checked/);
  assert.match(response.text, /name="grant:refresh_token" value="on"[^>]*checked/);
  assert.doesNotMatch(response.text, /name="grant:client_credentials" value="on"[^>]*checked/);
  assert.match(response.text, /name="scope:process" value="on"[^>]*checked/);
  assert.doesNotMatch(response.text, /name="scope:process_read" value="on"[^>]*checked/);
  assert.match(response.text, /id="type-confidential" name="client_type" value="confidential"[^>]*checked/);

  const noGrants = await browser.post('/apps', { ...csrf, ...appForm({ grants: [] }) });
  assert.equal(noGrants.status, 422);
  assert.match(noGrants.text, /Choose at least one grant\./);
  const noScopes = await browser.post('/apps', { ...csrf, ...appForm({ scopes: [] }) });
  assert.equal(noScopes.status, 422);
  assert.match(noScopes.text, /Choose at least one scope\./);
  const publicSecretGrant = await browser.post('/apps', { ...csrf, ...appForm({ client_type: 'public', grants: ['client_credentials'] }) });
  assert.equal(publicSecretGrant.status, 422);
  assert.match(publicSecretGrant.text, /A public application cannot use the client credentials or password grants/);
  assert.match(publicSecretGrant.text, /id="type-public" name="client_type" value="public"[^>]*checked/);
  const codeWithoutCallback = await browser.post('/apps', { ...csrf, ...appForm({ grants: ['authorization_code'] }) });
  assert.equal(codeWithoutCallback.status, 422);
  assert.match(codeWithoutCallback.text, /Add a callback URL/);

  assert.match((await browser.get('/apps')).text, /No applications yet/, 'nothing was created');
});

test('a form without the CSRF token, or with a wrong one: 403, and nothing is created', async () => {
  const { browser } = await signedIn();
  const without = await browser.post('/apps', appForm({ name: 'Forged' }));
  assert.equal(without.status, 403);
  assertSafePage(without, 'the CSRF refusal');
  const wrong = await browser.post('/apps', { csrf_token: 'A'.repeat(43), ...appForm({ name: 'Forged' }) });
  assert.equal(wrong.status, 403);
  const list = await browser.get('/apps');
  assert.ok(!list.text.includes('Forged'));
  assert.match(list.text, /No applications yet/);

  // Nor are edits, rotations or deletions made.
  const { clientId, secret } = await createApp(browser, { name: 'Kept' });
  for (const path of [`/apps/${clientId}`, `/apps/${clientId}/rotate-secret`, `/apps/${clientId}/delete`]) {
    const response = await browser.post(path, { ...appForm({ name: 'Renamed' }), grace: '0' });
    assert.equal(response.status, 403, path);
  }
  assert.equal((await clientCredentials(clientId, secret!)).status, 200, 'the secret still works and the app still exists');
  assert.match((await browser.get(`/apps/${clientId}`)).text, /<h1>Kept<\/h1>/);
});

test("another user's app is a 404 on every page and form, and is left alone", async () => {
  const { browser: owner } = await signedIn();
  const { clientId, secret } = await createApp(owner, { name: 'Not yours' });
  const { browser: other } = await signedIn();
  const csrf = await hiddenFields(other, '/apps/new', '/apps');

  for (const path of [`/apps/${clientId}`, `/apps/${clientId}/delete`, '/apps/no-such-app', '/apps/no-such-app/delete']) {
    const response = await other.get(path);
    assert.equal(response.status, 404, path);
    assertSafePage(response, path);
    assert.ok(!response.text.includes('Not yours'), path);
  }
  for (const path of [`/apps/${clientId}`, `/apps/${clientId}/rotate-secret`, `/apps/${clientId}/delete`]) {
    const response = await other.post(path, { ...csrf, ...appForm({ name: 'Taken over' }), grace: '0' });
    assert.equal(response.status, 404, path);
  }
  assert.equal((await clientCredentials(clientId, secret!)).status, 200);
  const page = await owner.get(`/apps/${clientId}`);
  assert.match(page.text, /<h1>Not yours<\/h1>/);
  assert.equal(secretIn(page.text), undefined, 'no rotation happened');
});

test('the list shows only the user’s own apps, names escaped; a new user sees the empty state', async () => {
  const { browser: first } = await signedIn();
  const { browser: second } = await signedIn();
  const firstEmpty = await first.get('/apps');
  assert.equal(firstEmpty.status, 200);
  assertSafePage(firstEmpty, 'the empty list');
  assert.match(firstEmpty.text, /No applications yet/);
  assert.match(firstEmpty.text, /An application is a program that uses the Gatehouse API/);
  assert.match(firstEmpty.text, /href="\/apps\/new"/);

  const a = await createApp(first, { name: 'Alpha <script>', grants: ['client_credentials'] });
  const b = await createApp(first, { name: 'Beta', redirect_uris: CALLBACK, grants: ['authorization_code', 'refresh_token'] });
  const c = await createApp(second, { name: 'Gamma' });
  const operators = await createClient(server, (await createUser(server)).email, '--name', 'Delta');

  const list = await first.get('/apps');
  assert.equal(list.status, 200);
  assertSafePage(list, 'the list');
  assert.ok(list.text.includes('Alpha &lt;script&gt;'), 'the name is escaped');
  assert.ok(!list.text.includes('Alpha <script>'));
  for (const app of [a, b]) assert.ok(list.text.includes(`href="/apps/${app.clientId}"`), 'own apps are listed');
  for (const id of [c.clientId, operators.client_id]) assert.ok(!list.text.includes(id), 'other apps are not');
  assert.ok(!list.text.includes('Gamma') && !list.text.includes('Delta'));
  assert.doesNotMatch(list.text, /No applications yet/);
  // Type, grants and created date are shown, oldest first.
  assert.match(list.text, new RegExp(`Alpha[\\s\\S]*${a.clientId}[\\s\\S]*Confidential[\\s\\S]*Client credentials[\\s\\S]*<time datetime="[^"]+"[^>]*>\\d{4}-\\d{2}-\\d{2}</time>[\\s\\S]*Beta[\\s\\S]*Authorization code[\\s\\S]*Refresh token`));

  const secondList = await second.get('/apps');
  assert.ok(secondList.text.includes('Gamma'));
  assert.ok(!secondList.text.includes('Alpha') && !secondList.text.includes('Beta'));
});

test('edit saves name, callback URLs, grants and scopes; the type does not change', async () => {
  const { browser } = await signedIn();
  const { clientId, secret } = await createApp(browser, { name: 'Before' });
  const action = `/apps/${clientId}`;
  const csrf = await hiddenFields(browser, action, action);
  const saved = await browser.post(action, {
    ...csrf,
    ...appForm({
      name: 'After', client_type: 'public',
      redirect_uris: `${CALLBACK}\r\n\r\nhttp://127.0.0.1:8080/cb\r\n${CALLBACK}`,
      grants: ['client_credentials', 'authorization_code', 'refresh_token'], scopes: ['process_read'],
    }),
  });
  assert.equal(saved.status, 303, saved.text);
  assert.equal(saved.headers.get('location'), action);
  const page = await browser.get(action);
  assert.match(page.text, /<h1>After<\/h1>/);
  assert.match(page.text, /Your changes were saved\./);
  assert.match(page.text, /<textarea id="redirect_uris"[^>]*>https:\/\/app\.example\.com\/callback\nhttp:\/\/127\.0\.0\.1:8080\/cb<\/textarea>/);

  const shown = await server.cliJson<Record<string, unknown>>('clients', 'show', clientId);
  assert.equal(shown.name, 'After');
  assert.equal(shown.public, false, 'the type did not change');
  assert.deepEqual(shown.redirect_uris, [CALLBACK, 'http://127.0.0.1:8080/cb']);
  assert.deepEqual(shown.grant_types, ['authorization_code', 'client_credentials', 'refresh_token']);
  assert.deepEqual(shown.scopes, ['process_read']);
  // The new scopes apply at once; the secret is unchanged.
  const token = await clientCredentials(clientId, secret!);
  assert.equal(token.status, 200, token.text);
  assert.equal(token.body.scope, 'process_read');

  // An invalid edit: 422 with the input kept, and nothing saved.
  const invalid = await browser.post(action, { ...csrf, ...appForm({ name: 'Broken', redirect_uris: 'http://example.com/cb', grants: ['authorization_code'] }) });
  assert.equal(invalid.status, 422);
  assertSafePage(invalid, 'the edit form with errors');
  assert.match(invalid.text, /http:\/\/example\.com\/cb must use https/);
  assert.match(invalid.text, /name="name" value="Broken"/);
  assert.match((await browser.get(action)).text, /<h1>After<\/h1>/);
});

test('rotate with no grace: the old secret is refused at once, the new one works and is shown once', async () => {
  const { browser } = await signedIn();
  const { clientId, secret: old } = await createApp(browser);
  const action = `/apps/${clientId}/rotate-secret`;
  // With no grace, the portal asks first: the old secret would stop at once.
  const confirm = await browser.post(action, { ...(await hiddenFields(browser, `/apps/${clientId}`, action)), grace: '0' });
  assert.equal(confirm.status, 200, confirm.text);
  assertSafePage(confirm, 'the rotation confirmation');
  assert.match(confirm.text, /stops working <strong>at once<\/strong>/);
  assert.ok(confirm.text.includes(`<a class="button secondary" href="/apps/${clientId}">Cancel</a>`));
  assert.equal((await clientCredentials(clientId, old!)).status, 200, 'nothing was rotated yet');
  const confirmed = formFields(confirm.text, action);
  assert.deepEqual([confirmed.grace, confirmed.confirm], ['0', 'yes']);
  const response = await browser.post(action, confirmed);
  assert.equal(response.status, 303, response.text);
  assert.equal(response.headers.get('location'), `/apps/${clientId}`);
  const page = await browser.get(response.location!);
  const fresh = secretIn(page.text);
  assert.ok(fresh && fresh !== old, 'a new secret is shown');
  assert.match(page.text, /Copy your new client secret now/);
  assert.match(page.text, /The old secret no longer works\./);
  assert.equal(secretIn((await browser.get(`/apps/${clientId}`)).text), undefined, 'only once');

  assertOAuthError(await clientCredentials(clientId, old!), 401, 'invalid_client');
  assert.equal((await clientCredentials(clientId, fresh)).status, 200);
});

test('rotate with 1 hour of grace: both secrets work, and the page says until when', async () => {
  const { browser } = await signedIn();
  const { clientId, secret: old } = await createApp(browser);
  const action = `/apps/${clientId}/rotate-secret`;
  const before = Date.now();
  const response = await browser.post(action, { ...(await hiddenFields(browser, `/apps/${clientId}`, action)), grace: '3600' });
  assert.equal(response.status, 303, response.text);
  const page = await browser.get(response.location!);
  const fresh = secretIn(page.text);
  assert.ok(fresh && fresh !== old);
  const until = /The old secret keeps working until (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC\./.exec(page.text)?.[1];
  assert.ok(until, page.text);
  const untilMs = Date.parse(`${until.replace(' ', 'T')}:00Z`);
  assert.ok(Math.abs(untilMs - (before + 3600_000)) < 120_000, until);
  assert.match(page.text, /The previous secret keeps working until <time datetime="[^"]+">/);

  assert.equal((await clientCredentials(clientId, old!)).status, 200, 'the old secret works during the grace period');
  assert.equal((await clientCredentials(clientId, fresh)).status, 200);

  const bad = await browser.post(action, { ...(await hiddenFields(browser, `/apps/${clientId}`, action)), grace: '999999' });
  assert.equal(bad.status, 400, 'only the offered grace periods');
});

test('delete: a confirmation page, then the app is gone and every token it holds stops working', async () => {
  // An admin: only admins may allow the password grant, which this test uses to get a user's tokens.
  const { user, browser } = await signedIn({ admin: true });
  const processId = (await createProcess(server, user.email)).id;
  const { clientId, secret } = await createApp(browser, { name: 'Doomed', grants: ['client_credentials', 'password', 'refresh_token'] });
  const keep = await createApp(browser, { name: 'Survivor' });
  const apiStatus = async (token: string) => (await apiRequest(server, `/api/v1/processes/${processId}`, token)).status;

  const machineToken = await accessToken(clientId, secret!);
  const fixture = { client_id: clientId, client_secret: secret!, workspace_id: '' };
  const userPair = await userTokens(server, fixture, user);
  const keptToken = await accessToken(keep.clientId, keep.secret!);
  assert.equal(await apiStatus(machineToken), 200);
  assert.equal(await apiStatus(userPair.access_token), 200);

  const confirm = await browser.get(`/apps/${clientId}/delete`);
  assert.equal(confirm.status, 200);
  assertSafePage(confirm, 'the delete confirmation');
  assert.match(confirm.text, /<h1>Delete Doomed\?<\/h1>/);
  assert.match(confirm.text, /cannot be undone/);
  assert.match(confirm.text, new RegExp(`<a class="button secondary" href="/apps/${clientId}">Cancel</a>`));
  const deleted = await browser.post(`/apps/${clientId}/delete`, formFields(confirm.text, `/apps/${clientId}/delete`));
  assert.equal(deleted.status, 303, deleted.text);
  assert.equal(deleted.headers.get('location'), '/apps');

  const list = await browser.get('/apps');
  assert.match(list.text, /class="notice">Doomed was deleted, and every token issued to it was revoked\./);
  assert.ok(!list.text.includes(`/apps/${clientId}`));
  assert.ok(list.text.includes(`/apps/${keep.clientId}`));
  assert.equal((await browser.get(`/apps/${clientId}`)).status, 404);

  assert.equal(await apiStatus(machineToken), 401, 'the client-credentials access token is refused at once');
  assert.equal(await apiStatus(userPair.access_token), 401, "a user's access token through the app is refused");
  assertOAuthError(await refresh(server, fixture, userPair.refresh_token!), 401, 'invalid_client');
  assertOAuthError(await clientCredentials(clientId, secret!), 401, 'invalid_client');
  assert.equal(await apiStatus(keptToken), 200, 'other apps keep working');
  assert.equal((await browser.post(`/apps/${clientId}/delete`, formFields(confirm.text, `/apps/${clientId}/delete`))).status, 404);
});

test('the CLI delete takes the same path: the deleted client’s live access token is refused by the server', async () => {
  const { user } = await signedIn();
  const processId = (await createProcess(server, user.email)).id;
  const client = await createClient(server, user.email, '--name', 'CLI made');
  const token = await accessToken(client.client_id, client.client_secret!);
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token)).status, 200);
  await server.cliJson('clients', 'delete', client.client_id);
  // The server learns of the CLI's revocation by polling the store every second.
  let status = 200;
  for (let waited = 0; waited < 10_000 && status !== 401; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await apiRequest(server, `/api/v1/processes/${processId}`, token)).status;
  }
  assert.equal(status, 401);
});

test('every page has the security headers and no inline script or style; the copy script is served', async () => {
  const { browser } = await signedIn();
  const created = await createApp(browser, { name: 'Headers', redirect_uris: CALLBACK, grants: ['authorization_code', 'client_credentials'] });
  assertSafePage(created.detail, 'the app page with its secret');
  for (const path of ['/apps', '/apps/new', `/apps/${created.clientId}`, `/apps/${created.clientId}/delete`, '/apps/unknown-app']) {
    assertSafePage(await browser.get(path), path);
  }
  const invalid = await browser.post('/apps', { ...(await hiddenFields(browser, '/apps/new', '/apps')), ...appForm({ name: '' }) });
  assert.equal(invalid.status, 422);
  assertSafePage(invalid, 'the 422 page');
  assertSafePage(await browser.post('/apps', appForm()), 'the 403 page');

  const script = await fetch(`${server.url}/assets/copy.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(await script.text(), /clipboard/);
});

test('the new-application form is labelled and grouped for assistive technology', async () => {
  const { browser } = await signedIn();
  const page = await browser.get('/apps/new');
  assert.equal(page.status, 200);
  // Every visible control has a label.
  for (const [control] of page.text.matchAll(/<(?:input|textarea|select)\b[^>]*>/g)) {
    if (/type="hidden"/.test(control)) continue;
    const id = /\bid="([^"]+)"/.exec(control)?.[1];
    assert.ok(id, `a control without an id: ${control}`);
    assert.ok(page.text.includes(`<label for="${id}">`), `no label for ${id}`);
  }
  for (const legend of ['Client type', 'Grants', 'Allowed scopes']) assert.ok(page.text.includes(`<legend>${legend}</legend>`), legend);
  for (const label of ['Authorization code', 'Client credentials', 'Password', 'Device code', 'Refresh token']) {
    assert.match(page.text, new RegExp(`<label for="grant-\\d">${label}</label>`), label);
  }
  assert.match(page.text, new RegExp(`name="grant:${DEVICE_GRANT}"`));
});
