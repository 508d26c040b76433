// The admin users page (/admin/users): only admins see it; they create users,
// and disable or enable them. Disabling ends the user's browser sessions and
// personal access tokens at once; an admin cannot disable themselves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createProcess, createUser, uniqueEmail } from './support/fixtures.ts';
import { apiRequest } from './support/http.ts';
import { CookieBrowser, formFields, signIn, submitSignIn, type PageResponse } from './support/browser-http.ts';
import { assertSafePage, inputValue, tableHeadings, tableRows } from './support/pages.ts';
import { within } from './support/user-tokens.ts';

const PAGE = '/admin/users';
const PASSWORD = 'correct horse battery';

let server: TestServer;
let admin: { email: string; password: string; id: string };
let adminBrowser: CookieBrowser;

interface UserRow {
  id: string;
  email: string;
  admin: boolean;
  disabled: boolean;
}
const listUsers = () => server.cliJson<UserRow[]>('users', 'list');
const userId = async (email: string) => (await listUsers()).find((u) => u.email === email)!.id;

before(async () => {
  server = await startServer();
  const email = uniqueEmail('admin');
  await server.cliJson('users', 'create', '--email', email, '--password', PASSWORD, '--admin');
  admin = { email, password: PASSWORD, id: await userId(email) };
  adminBrowser = new CookieBrowser(server.url);
  await signIn(adminBrowser, admin.email, admin.password);
});
after(() => server?.stop());

/** Posts the form with `action` found on the admin page, with `fields` added. */
async function submit(browser: CookieBrowser, action: string, fields: Record<string, string> = {}): Promise<PageResponse> {
  const page = await browser.get(PAGE);
  assert.equal(page.status, 200, page.text);
  return browser.post(action, { ...formFields(page.text, action), ...fields });
}

const rowOf = (html: string, email: string) => tableRows(html).find((cells) => cells[0]?.startsWith(email));

test('a member gets the 404 page for every admin URL, and no Users link', async () => {
  const member = await createUser(server);
  const browser = new CookieBrowser(server.url);
  await signIn(browser, member.email, member.password);
  const home = await browser.get('/tokens');
  assert.doesNotMatch(home.text, /href="\/admin\/users"/);
  assert.match((await adminBrowser.get('/tokens')).text, /href="\/admin\/users"/, 'admins have the link');

  const page = await browser.get(PAGE);
  assert.equal(page.status, 404);
  assertSafePage(page);
  assert.equal((await browser.get(`${PAGE}?created=${'x'.repeat(300)}`)).status, 404, 'the same 404 for odd queries');
  assert.doesNotMatch(page.text, new RegExp(admin.email), 'no user is listed');
  const csrf = formFields(home.text, '/logout').csrf_token!;
  const created = await browser.post(PAGE, { csrf_token: csrf, email: 'sneaky@example.test', password: PASSWORD, admin: 'on' });
  assert.equal(created.status, 404);
  assert.ok(!(await listUsers()).some((u) => u.email === 'sneaky@example.test'), 'no user was created');
  const disabled = await browser.post(`${PAGE}/${admin.id}/disable`, { csrf_token: csrf });
  assert.equal(disabled.status, 404);
  assert.equal((await listUsers()).find((u) => u.id === admin.id)?.disabled, false);
});

test('signed out: sent to sign in', async () => {
  const browser = new CookieBrowser(server.url);
  const page = await browser.get(PAGE);
  assert.equal(page.status, 303);
  assert.equal(page.location?.pathname, '/login');
  assert.equal(page.location?.searchParams.get('return_to'), PAGE);
  assert.equal((await browser.post(`${PAGE}/${admin.id}/disable`, { csrf_token: 'x' })).status, 303);
});

test('the page lists users with email, role, status and created date', async () => {
  const member = await createUser(server);
  const page = await adminBrowser.get(PAGE);
  assert.equal(page.status, 200);
  assertSafePage(page);
  assert.deepEqual(tableHeadings(page.text), ['Email', 'Role', 'Status', 'Created', 'Actions']);
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(rowOf(page.text, member.email), [member.email, 'Member', 'Active', today, 'Disable Reset password']);
  assert.deepEqual(rowOf(page.text, admin.email), [`${admin.email} (you)`, 'Admin', 'Active', today, '—']);
});

test('an admin creates a user, who can sign in; an admin checkbox makes an admin', async () => {
  const email = uniqueEmail('made');
  const created = await submit(adminBrowser, PAGE, { email, password: PASSWORD });
  assert.equal(created.status, 303, created.text);
  assert.ok(await userId(email), 'the user exists');
  assert.equal(created.headers.get('location'), PAGE, 'nothing about the user rides in the URL');
  const after = await adminBrowser.get(created.location!);
  assert.match(after.text, new RegExp(`class="notice">Created ${email.replace(/\./g, '\\.')}`));
  assert.equal(rowOf(after.text, email)?.[1], 'Member');
  const browser = new CookieBrowser(server.url);
  await signIn(browser, email, PASSWORD);
  assert.equal((await browser.get(PAGE)).status, 404, 'a member');

  const adminEmail = uniqueEmail('made-admin');
  assert.equal((await submit(adminBrowser, PAGE, { email: adminEmail, password: PASSWORD, admin: 'on' })).status, 303);
  const other = new CookieBrowser(server.url);
  await signIn(other, adminEmail, PASSWORD);
  assert.equal((await other.get(PAGE)).status, 200, 'an admin');
});

test('create: invalid input is a 422 that keeps the input; a taken email is a 409; CSRF is checked', async () => {
  const short = await submit(adminBrowser, PAGE, { email: 'new.person@example.test', password: 'short', admin: 'on' });
  assert.equal(short.status, 422);
  assertSafePage(short);
  assert.equal(inputValue(short.text, 'user-email'), 'new.person@example.test');
  assert.match(short.text, /id="user-admin" name="admin" value="on" checked/);
  assert.match(short.text, /id="user-password-error">Use at least 8 characters/);
  const badEmail = await submit(adminBrowser, PAGE, { email: 'not an email', password: PASSWORD });
  assert.equal(badEmail.status, 422);
  assert.match(badEmail.text, /id="user-email-error">/);
  const taken = await submit(adminBrowser, PAGE, { email: admin.email.toUpperCase(), password: PASSWORD });
  assert.equal(taken.status, 409);
  assert.match(taken.text, /already exists/);
  const forged = await adminBrowser.post(PAGE, { csrf_token: 'A'.repeat(43), email: 'forged@example.test', password: PASSWORD });
  assert.equal(forged.status, 403);
  const emails = (await listUsers()).map((u) => u.email);
  assert.ok(!emails.includes('new.person@example.test') && !emails.includes('forged@example.test'));
});

test("disabling a user ends their browser session and their PAT within 2 s; enabling lets them sign in again", async () => {
  const user = await createUser(server);
  const id = await userId(user.email);
  const processId = (await createProcess(server, user.email)).id;
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  // A token made on their own tokens page.
  const tokensPage = await browser.get('/tokens');
  const made = await browser.post('/tokens', { ...formFields(tokensPage.text, '/tokens'), name: 'laptop', scope_process_read: 'on', expiry: '30' });
  assert.equal(made.status, 303);
  const pat = inputValue((await browser.get('/tokens')).text, 'new-token')!;
  const apiStatus = async () => (await apiRequest(server, `/api/v1/processes/${processId}`, pat)).status;
  assert.equal(await apiStatus(), 200);
  assert.equal((await browser.get('/tokens')).status, 200);

  const action = `${PAGE}/${id}/disable`;
  const disabled = await submit(adminBrowser, action);
  assert.equal(disabled.status, 303, disabled.text);
  assert.equal(disabled.headers.get('location'), PAGE);
  const after = await adminBrowser.get(disabled.location!);
  assert.match(after.text, /class="notice">Disabled /);
  assert.deepEqual(rowOf(after.text, user.email)?.slice(2), ['Disabled', new Date().toISOString().slice(0, 10), 'Enable']);

  const next = await browser.get('/tokens');
  assert.equal(next.status, 303, 'the session has ended');
  assert.equal(next.location?.pathname, '/login');
  assert.notEqual(await within(2000, async () => (await apiStatus()) === 401), null, 'the PAT is refused within 2 s');
  assert.equal((await submitSignIn(browser, await browser.get('/login'), user.email, user.password)).status, 401, 'cannot sign in');

  const enabled = await submit(adminBrowser, `${PAGE}/${id}/enable`);
  assert.equal(enabled.status, 303);
  assert.equal(enabled.headers.get('location'), PAGE);
  await signIn(browser, user.email, user.password);
  assert.equal((await browser.get('/tokens')).status, 200);
  assert.equal(await apiStatus(), 401, 'the old token stays revoked');
});

test('disable and enable check the CSRF token', async () => {
  const user = await createUser(server);
  const id = await userId(user.email);
  const response = await adminBrowser.post(`${PAGE}/${id}/disable`, { csrf_token: 'A'.repeat(43) });
  assert.equal(response.status, 403);
  assert.equal((await adminBrowser.post(`${PAGE}/${id}/disable`, {})).status, 403);
  assert.equal((await listUsers()).find((u) => u.id === id)?.disabled, false);
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
});

test('an admin cannot disable themselves: no button, and the request is refused', async () => {
  const page = await adminBrowser.get(PAGE);
  assert.ok(!page.text.includes(`action="${PAGE}/${admin.id}/disable"`), 'no disable button on their own row');
  const csrf = formFields(page.text, PAGE).csrf_token!;
  const refused = await adminBrowser.post(`${PAGE}/${admin.id}/disable`, { csrf_token: csrf });
  assert.equal(refused.status, 409);
  assertSafePage(refused);
  assert.match(refused.text, /role="alert">You cannot disable your own account/);
  assert.equal((await listUsers()).find((u) => u.id === admin.id)?.disabled, false);
  assert.equal((await adminBrowser.get(PAGE)).status, 200, 'still signed in');
  assert.equal((await adminBrowser.post(`${PAGE}/no-such-user/disable`, { csrf_token: csrf })).status, 404);
});
