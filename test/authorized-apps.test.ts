// The apps that may act for a user: GET/DELETE /api/v1/users/me/authorized-apps
// and the /account/authorized-apps page. Revoking removes the consent and
// every token of that user and app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { clientCredentialsToken, createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, assertApiError, assertOAuthError, tokenRequest } from './support/http.ts';
import { authorizeInBrowser, authorizeUrl, CookieBrowser, formFields, signIn } from './support/browser-http.ts';
import { passwordClient, refresh, userTokens, type UserTokenPair } from './support/user-tokens.ts';

const CALLBACK = 'https://web.example.com/callback';
const PAGE = '/account/authorized-apps';

let server: TestServer;
let owner: string;
/** The operator's own app, whose tokens may manage the user's apps. */
let portal: ClientFixture;

interface App {
  client_id: string;
  name: string;
  scopes: string[];
  authorized_at: string;
}

before(async () => {
  server = await startServer();
  owner = (await createUser(server)).email;
  portal = await passwordClient(server, owner, '--first-party', '--name', 'Gatehouse Mobile');
});
after(() => server?.stop());

const appsOf = async (token: string): Promise<App[]> => {
  const response = await apiRequest(server, '/api/v1/users/me/authorized-apps', token);
  assert.equal(response.status, 200, response.text);
  return response.body.data as App[];
};
const deleteApp = (token: string, clientId: string) =>
  apiRequest(server, `/api/v1/users/me/authorized-apps/${encodeURIComponent(clientId)}`, token, { method: 'DELETE' });

/** A user with a process, and tokens for them from a third-party password app. */
async function userWithApp(name = 'Sync script') {
  const user = await createUser(server);
  const processId = (await createProcess(server, user.email)).id;
  const app = await passwordClient(server, owner, '--name', name);
  const tokens = await userTokens(server, app, user);
  const apiStatus = async (token: string) => (await apiRequest(server, `/api/v1/processes/${processId}`, token)).status;
  return { user, app, tokens, apiStatus };
}

/** Runs the code flow in a browser for `client` (consent is recorded); returns the tokens. */
async function authorizeByConsent(browser: CookieBrowser, client: ClientFixture, user: { email: string; password: string }) {
  const run = await authorizeInBrowser(browser, authorizeUrl(server, {
    response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'process_read', state: 'x',
  }), user);
  const exchanged = await tokenRequest(server, {
    grant_type: 'authorization_code', code: run.callback.searchParams.get('code')!, redirect_uri: CALLBACK,
    client_id: client.client_id, client_secret: client.client_secret!,
  });
  assert.equal(exchanged.status, 200, exchanged.text);
  return { tokens: exchanged.body as unknown as UserTokenPair, sawConsent: run.sawConsent };
}

async function assertAppCutOff(client: ClientFixture, tokens: UserTokenPair, apiStatus: (t: string) => Promise<number>) {
  assertOAuthError(await refresh(server, client, tokens.refresh_token!), 400, 'invalid_grant');
  assert.equal(await apiStatus(tokens.access_token), 401);
}

test('GET lists every app that can act for the user, and only theirs', async () => {
  const { user, app } = await userWithApp('Sync script');
  const web = await createClient(server, owner, '--name', 'Web dashboard', '--redirect-uri', CALLBACK);
  await authorizeByConsent(new CookieBrowser(server.url), web, user);
  const cc = await createClient(server, owner, '--name', 'Robot');
  await clientCredentialsToken(server, cc);
  await userWithApp('Someone else’s app');

  const own = await userTokens(server, portal, user);
  const apps = await appsOf(own.access_token);
  assert.deepEqual(apps.map((a) => a.name), ['Gatehouse Mobile', 'Sync script', 'Web dashboard']);
  const byId = new Map(apps.map((a) => [a.client_id, a]));
  assert.deepEqual(byId.get(app.client_id)?.scopes, ['process', 'process_read']);
  assert.deepEqual(byId.get(web.client_id)?.scopes, ['process_read']);
  assert.ok(byId.has(portal.client_id));
  for (const a of apps) assert.ok(Math.abs(Date.parse(a.authorized_at) - Date.now()) < 60_000, a.authorized_at);
});

test('DELETE revokes the app: its refresh token fails and its access token gets 401; again is 404', async () => {
  const { user, app, tokens, apiStatus } = await userWithApp();
  const own = await userTokens(server, portal, user);
  assert.equal(await apiStatus(tokens.access_token), 200);

  const response = await deleteApp(own.access_token, app.client_id);
  assert.equal(response.status, 204, response.text);
  assert.equal(response.text, '');
  await assertAppCutOff(app, tokens, apiStatus);
  assert.deepEqual((await appsOf(own.access_token)).map((a) => a.client_id), [portal.client_id]);

  assertApiError(await deleteApp(own.access_token, app.client_id), 404, 'not_found');
  assertApiError(await deleteApp(own.access_token, 'no-such-app'), 404, 'not_found');
  // A new sign-in is a new authorization, listed again.
  await userTokens(server, app, user);
  assert.equal((await appsOf(own.access_token)).length, 2);
});

test('DELETE of an app the user consented to removes the consent: the next authorization asks again', async () => {
  const user = await createUser(server);
  const web = await createClient(server, owner, '--name', 'Web dashboard', '--redirect-uri', CALLBACK);
  const browser = new CookieBrowser(server.url);
  const first = await authorizeByConsent(browser, web, user);
  assert.equal(first.sawConsent, true);
  assert.equal((await authorizeByConsent(browser, web, user)).sawConsent, false, 'consent is remembered');

  const own = await userTokens(server, portal, user);
  assert.equal((await deleteApp(own.access_token, web.client_id)).status, 204);
  await assertAppCutOff(web, first.tokens, async (t) => (await apiRequest(server, '/api/v1/processes', t)).status);
  assert.equal((await authorizeByConsent(browser, web, user)).sawConsent, true, 'consent is asked again');
});

test('a client-credentials token: 403, it acts for no user', async () => {
  const cc = await createClient(server, owner);
  const token = await clientCredentialsToken(server, cc);
  const response = await apiRequest(server, '/api/v1/users/me/authorized-apps', token);
  assertApiError(response, 403, 'user_token_required');
  assert.match(response.body.message as string, /acts for a user/);
  assertApiError(await deleteApp(token, portal.client_id), 403, 'user_token_required');
});

test("a third-party app's token: 403, it may not see or cut off the user's other apps", async () => {
  const { user, tokens } = await userWithApp();
  const own = await userTokens(server, portal, user);
  assertApiError(await apiRequest(server, '/api/v1/users/me/authorized-apps', tokens.access_token), 403, 'first_party_required');
  assertApiError(await deleteApp(tokens.access_token, portal.client_id), 403, 'first_party_required');
  assert.equal((await refresh(server, portal, own.refresh_token!)).status, 200, 'the first-party app still works');
});

test("the user's personal access token may list the apps; no token is 401", async () => {
  const { user, app } = await userWithApp();
  const pat = await server.cliJson<{ token: string }>('tokens', 'create', '--user', user.email, '--name', 'laptop');
  assert.deepEqual((await appsOf(pat.token)).map((a) => a.client_id), [app.client_id]);
  assertApiError(await apiRequest(server, '/api/v1/users/me/authorized-apps'), 401, 'missing_token');
});

test('the page needs sign-in: 303 to /login with return_to, which leads back to it', async () => {
  const { user, app, tokens, apiStatus } = await userWithApp();
  const browser = new CookieBrowser(server.url);
  const response = await browser.get(PAGE);
  assert.equal(response.status, 303);
  assert.equal(response.headers.get('location'), `/login?return_to=${encodeURIComponent(PAGE)}`);
  const revoke = await browser.post(`${PAGE}/${app.client_id}/revoke`, { csrf_token: 'x' });
  assert.equal(revoke.status, 303);
  assert.equal(await apiStatus(tokens.access_token), 200, 'nothing was revoked');

  const login = await browser.get(response.location!);
  const signedIn = await browser.post('/login', { ...formFields(login.text, '/login'), email: user.email, password: user.password });
  assert.equal(signedIn.status, 303, signedIn.text);
  assert.equal(signedIn.headers.get('location'), PAGE);
  assert.equal((await browser.get(PAGE)).status, 200);
});

test('the page lists the apps, names escaped, each with a Revoke link to a confirmation carrying the CSRF token', async () => {
  const { user, app } = await userWithApp('<b>Evil & Co</b>');
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  const response = await browser.get(PAGE);
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.ok(response.text.includes('&lt;b&gt;Evil &amp; Co&lt;/b&gt;'), 'the name is escaped');
  assert.ok(!response.text.includes('<b>Evil'), 'the name is not markup');
  assert.ok(response.text.includes(`href="${PAGE}/${app.client_id}/revoke"`), 'a Revoke link');
  const confirm = await browser.get(`${PAGE}/${app.client_id}/revoke`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /<h1>Revoke access for &lt;b&gt;Evil &amp; Co&lt;\/b&gt;\?<\/h1>/);
  const fields = formFields(confirm.text, `${PAGE}/${app.client_id}/revoke`);
  assert.ok((fields.csrf_token ?? '').length >= 32);
  assert.equal((await browser.get(`${PAGE}/not-an-app/revoke`)).status, 404);
});

test('Revoke on the page removes the app and says so', async () => {
  const { user, app, tokens, apiStatus } = await userWithApp('Nightly export');
  const keep = await passwordClient(server, owner, '--name', 'Keeper');
  const kept = await userTokens(server, keep, user);
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  const action = `${PAGE}/${app.client_id}/revoke`;
  const revoked = await browser.post(action, formFields((await browser.get(action)).text, action));
  assert.equal(revoked.status, 303, revoked.text);
  assert.equal(revoked.headers.get('location'), PAGE, 'nothing about the app rides in the URL');

  const after = await browser.get(revoked.location!);
  assert.equal(after.status, 200);
  assert.match(after.text, /class="notice"[^>]*>Nightly export no longer has access/);
  assert.doesNotMatch((await browser.get(PAGE)).text, /class="notice"/, 'the notice is shown once');
  assert.ok(!after.text.includes(action), 'the app is no longer listed');
  assert.ok(after.text.includes(`${PAGE}/${keep.client_id}/revoke`), 'the other app is still listed');
  await assertAppCutOff(app, tokens, apiStatus);
  assert.equal(await apiStatus(kept.access_token), 200, 'other apps keep their access');
});

test('?revoked=<any client id> shows no notice: another workspace cannot put its app name on the page', async () => {
  const { user } = await userWithApp();
  const stranger = await createUser(server);
  const theirs = await createClient(server, stranger.email, '--name', 'Your bank says hello');
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  const page = await browser.get(`${PAGE}?revoked=${theirs.client_id}`);
  assert.equal(page.status, 200);
  assert.ok(!page.text.includes('Your bank says hello'), page.text);
  assert.doesNotMatch(page.text, /class="notice"/);
});

test('a revoke without the CSRF token, or with a wrong one: 403, and nothing is revoked', async () => {
  const { user, app, tokens, apiStatus } = await userWithApp();
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  const action = `${PAGE}/${app.client_id}/revoke`;
  const without = await browser.post(action, {});
  assert.equal(without.status, 403);
  assert.match(without.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal((await browser.post(action, { csrf_token: 'A'.repeat(43) })).status, 403);
  assert.equal(await apiStatus(tokens.access_token), 200);
  assert.equal((await refresh(server, app, tokens.refresh_token!)).status, 200);
});
