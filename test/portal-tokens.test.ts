// The personal access tokens page (/tokens): create (shown once), list,
// revoke, CSRF and validation, driven over plain HTTP with a cookie jar.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createProcess, createUser } from './support/fixtures.ts';
import { apiRequest, assertApiError } from './support/http.ts';
import { CookieBrowser, formFields, signIn, type PageResponse } from './support/browser-http.ts';
import { assertSafePage, inputValue, tableHeadings, tableRows } from './support/pages.ts';
import { isWellFormedPat } from '../src/pat/token-format.ts';
import { within } from './support/user-tokens.ts';

const PAGE = '/tokens';
const PAT_ANYWHERE = /gth_[0-9A-Za-z]{49}/;

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server?.stop());

/** A signed-in user with a process of their own. */
async function signedInUser() {
  const user = await createUser(server);
  const processId = (await createProcess(server, user.email, 'Ledger close')).id;
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  return { user, processId, browser };
}

/** Submits the create form as a browser would: the page's hidden fields plus `fields`. */
async function submitCreate(browser: CookieBrowser, fields: Record<string, string>): Promise<PageResponse> {
  const form = await browser.get(PAGE);
  assert.equal(form.status, 200, form.text);
  return browser.post(PAGE, { ...formFields(form.text, PAGE), ...fields });
}

/** Creates a token through the page; returns it and the page that showed it. */
async function createToken(browser: CookieBrowser, name: string, fields: Record<string, string> = { scope_process_read: 'on', expiry: '30' }) {
  const created = await submitCreate(browser, { name, ...fields });
  assert.equal(created.status, 303, created.text);
  const shown = await browser.get(created.location!);
  assert.equal(shown.status, 200, shown.text);
  const token = inputValue(shown.text, 'new-token');
  assert.ok(token, `the page shows the new token:\n${shown.text}`);
  return { token, created, shown };
}

const rowOf = (html: string, name: string) => tableRows(html).find((cells) => cells[0] === name);
/** The revoke link (to its confirmation page, whose form posts to the same path) in the row of the token with this (already escaped) name. */
const revokeActionOf = (html: string, escapedName: string) =>
  [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!).filter((row) => row.includes(`>${escapedName}</th>`))
    .map((row) => /href="(\/tokens\/[^"]+\/revoke)"/.exec(row)?.[1])[0];

test('the page needs sign-in; posting without a session creates nothing', async () => {
  const browser = new CookieBrowser(server.url);
  const response = await browser.get(PAGE);
  assert.equal(response.status, 303);
  assert.equal(response.location?.pathname, '/login');
  assert.equal(response.location?.searchParams.get('return_to'), PAGE);
  const posted = await browser.post(PAGE, { name: 'x', scope_process_read: 'on', expiry: '30', csrf_token: 'x' });
  assert.equal(posted.status, 303);
  assert.equal(posted.location?.pathname, '/login');
});

test('a new token is shown once with a warning and a copy button; a reload never shows it again', async () => {
  const { browser } = await signedInUser();
  const { token, created, shown } = await createToken(browser, 'CI deploy');
  assert.ok(isWellFormedPat(token), token);
  assertSafePage(shown);

  // Not in the redirect's URL, nor in any cookie.
  assert.equal(created.headers.get('location'), PAGE);
  assert.ok(!created.headers.getSetCookie().join('\n').includes(token), 'not in a cookie');
  assert.ok(![...browser.cookies.values()].some((c) => c.value.includes(token)));

  assert.match(shown.text, /Copy it now/);
  assert.match(shown.text, /only time/);
  assert.match(shown.text, /<button type="button"[^>]*data-copy="new-token"/);
  assert.match(shown.text, /<script src="\/assets\/copy\.js" defer><\/script>/);
  const script = await fetch(`${server.url}/assets/copy.js`);
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.match(await script.text(), /navigator\.clipboard\.writeText/);

  const reload = await browser.get(PAGE);
  assert.equal(reload.status, 200);
  assert.doesNotMatch(reload.text, PAT_ANYWHERE, 'a reload does not show the token');
  assert.ok(rowOf(reload.text, 'CI deploy'), 'the token is listed');
  assert.ok(!server.log().includes(token), 'the token is not in the log');
});

test('the new token is shown only to the session that made it', async () => {
  const { user, browser } = await signedInUser();
  const other = new CookieBrowser(server.url);
  await signIn(other, user.email, user.password);
  const created = await submitCreate(browser, { name: 'one session', scope_process_read: 'on', expiry: '30' });
  assert.equal(created.status, 303, created.text);
  assert.doesNotMatch((await other.get(PAGE)).text, PAT_ANYWHERE, 'another session of the same user does not see it');
  assert.match((await browser.get(PAGE)).text, PAT_ANYWHERE, 'the session that made it does');
});

test('the token works as a Bearer token on GET /api/v1/processes/{id}, with the chosen scopes', async () => {
  const { processId, browser } = await signedInUser();
  const { token } = await createToken(browser, 'reader');
  const read = await apiRequest(server, `/api/v1/processes/${processId}`, token);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.id, processId);
  assert.equal(read.body.name, 'Ledger close');
  // process_read only: creating a process is refused.
  const write = await apiRequest(server, '/api/v1/processes', token, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }),
  });
  assertApiError(write, 403, 'insufficient_scope');

  const { token: writer } = await createToken(browser, 'writer', { scope_process: 'on', expiry: 'none' });
  const written = await apiRequest(server, '/api/v1/processes', writer, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'From a PAT' }),
  });
  assert.equal(written.status, 201, written.text);
});

test('the list shows name, scopes, created, last used, expires and status', async () => {
  const { processId, browser } = await signedInUser();
  const { token } = await createToken(browser, 'Month <end> & "close"', { scope_process_read: 'on', scope_process: 'on', expiry: '90' });
  await createToken(browser, 'forever', { scope_process_read: 'on', expiry: 'none' });
  const page = await browser.get(PAGE);
  assertSafePage(page);
  assert.deepEqual(tableHeadings(page.text), ['Name', 'Scopes', 'Created', 'Last used', 'Expires', 'Status', 'Actions']);
  assert.ok(page.text.includes('Month &lt;end&gt; &amp; &quot;close&quot;'), 'the name is escaped');

  const today = new Date().toISOString().slice(0, 10);
  const in90 = new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10);
  const [name, scopes, created, lastUsed, expires, status, action] = rowOf(page.text, 'Month <end> & "close"')!;
  assert.equal(name, 'Month <end> & "close"');
  assert.equal(scopes, 'process_read process');
  assert.equal(created, today);
  assert.equal(lastUsed, 'Never');
  assert.equal(expires, in90);
  assert.equal(status, 'Active');
  assert.equal(action, 'Revoke…');
  assert.deepEqual(rowOf(page.text, 'forever')?.slice(4, 6), ['Never', 'Active']);

  // Using the token is noted as "last used".
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token)).status, 200);
  const noted = await within(3000, async () => rowOf((await browser.get(PAGE)).text, 'Month <end> & "close"')?.[3] === today);
  assert.notEqual(noted, null, 'last used shows today after a call');
});

test('Revoke: 303 with a notice, the row says Revoked without a button, and the next API call is 401', async () => {
  const { processId, browser } = await signedInUser();
  const { token } = await createToken(browser, 'to revoke');
  const { token: kept } = await createToken(browser, 'to keep');
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token)).status, 200);

  const page = await browser.get(PAGE);
  const action = revokeActionOf(page.text, 'to revoke');
  assert.ok(action, 'the row has a revoke link');
  const confirm = await browser.get(action);
  assert.equal(confirm.status, 200);
  assertSafePage(confirm);
  assert.match(confirm.text, /<h1>Revoke “to revoke”\?<\/h1>/);
  assert.ok(confirm.text.includes('<a class="button secondary" href="/tokens">Cancel</a>'));
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token)).status, 200, 'the confirmation page revokes nothing');
  const revoked = await browser.post(action, formFields(confirm.text, action));
  assert.equal(revoked.status, 303, revoked.text);
  assert.equal(revoked.headers.get('location'), '/tokens');

  const after = await browser.get(revoked.location!);
  assertSafePage(after);
  assert.match(after.text, /class="notice">Revoked “to revoke”/);
  assert.equal(rowOf(after.text, 'to revoke')?.[5], 'Revoked');
  assert.ok(!after.text.includes(`href="${action}"`), 'no revoke button for a revoked token');
  assertApiError(await apiRequest(server, `/api/v1/processes/${processId}`, token), 401, 'invalid_token');
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, kept)).status, 200, 'the other token still works');

  // Revoking again, or another user's token: 404, nothing changes.
  assert.equal((await browser.post(action, formFields(confirm.text, action))).status, 404);
  assert.equal((await browser.get(action)).status, 404, 'no confirmation for a revoked token');
  const stranger = await signedInUser();
  const keptAction = revokeActionOf(page.text, 'to keep');
  assert.ok(keptAction && keptAction !== action);
  const strangerPage = await stranger.browser.get(PAGE);
  const refused = await stranger.browser.post(keptAction, { csrf_token: formFields(strangerPage.text, PAGE).csrf_token! });
  assert.equal(refused.status, 404);
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, kept)).status, 200);
});

test('a create or revoke without the right CSRF token is refused with 403, and changes nothing', async () => {
  const { processId, browser } = await signedInUser();
  for (const csrf of [undefined, 'A'.repeat(43)]) {
    const fields: Record<string, string> = { name: 'forged', scope_process: 'on', expiry: 'none' };
    if (csrf) fields.csrf_token = csrf;
    const response = await browser.post(PAGE, fields);
    assert.equal(response.status, 403, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.doesNotMatch(response.text, PAT_ANYWHERE);
  }
  const page = await browser.get(PAGE);
  assert.equal(rowOf(page.text, 'forged'), undefined, 'no token was created');
  assert.doesNotMatch(page.text, PAT_ANYWHERE);

  const { token } = await createToken(browser, 'kept');
  const action = revokeActionOf((await browser.get(PAGE)).text, 'kept');
  assert.ok(action);
  assert.equal((await browser.post(action, {})).status, 403);
  assert.equal((await browser.post(action, { csrf_token: 'A'.repeat(43) })).status, 403);
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token)).status, 200, 'nothing was revoked');
});

test('validation errors: 422, the form keeps what was entered, and says what is wrong', async () => {
  const { browser } = await signedInUser();

  const noName = await submitCreate(browser, { name: '  ', scope_process: 'on', expiry: '365' });
  assert.equal(noName.status, 422, noName.text);
  assertSafePage(noName);
  assert.match(noName.text, /role="alert"/);
  assert.match(noName.text, /id="token-name-error">Give the token a name/);
  assert.match(noName.text, /id="token-name"[^>]*aria-describedby="token-name-hint token-name-error"[^>]*aria-invalid="true"/);
  assert.match(noName.text, /id="scope_process" name="scope_process" value="on" checked/);
  assert.doesNotMatch(noName.text, /id="scope_process_read"[^>]*checked/);
  assert.match(noName.text, /<option value="365" selected>/);

  const noScope = await submitCreate(browser, { name: 'Keep <me>', expiry: 'none' });
  assert.equal(noScope.status, 422);
  assert.equal(inputValue(noScope.text, 'token-name'), 'Keep <me>');
  assert.match(noScope.text, /id="token-scopes-error">Choose at least one scope/);
  assert.match(noScope.text, /<option value="none" selected>/);

  const badExpiry = await submitCreate(browser, { name: 'odd', scope_process_read: 'on', expiry: '7' });
  assert.equal(badExpiry.status, 422);
  assert.match(badExpiry.text, /id="token-expiry-error">/);
  assert.equal(inputValue(badExpiry.text, 'token-name'), 'odd');

  const tooLong = await submitCreate(browser, { name: 'x'.repeat(101), scope_process_read: 'on', expiry: '30' });
  assert.equal(tooLong.status, 422);

  const page = await browser.get(PAGE);
  assert.doesNotMatch(page.text, PAT_ANYWHERE);
  assert.match(page.text, /You have no personal access tokens yet/, 'no invalid submission created a token');
});
