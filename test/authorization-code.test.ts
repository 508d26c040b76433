// The browser half of the authorization-code flow over plain HTTP with a
// cookie jar: sign-in, consent, the code, its exchange, and the API call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, tokenRequest } from './support/http.ts';
import { authorizeInBrowser, authorizeUrl, CookieBrowser, formFields, signIn, submitSignIn, type PageResponse } from './support/browser-http.ts';

const CALLBACK = 'https://app.example.com/callback';

let server: TestServer;
let owner: { email: string; password: string };
let ownerEmail: string;
let alice: { email: string; password: string };
let app: ClientFixture;
let processId: string;

before(async () => {
  server = await startServer();
  owner = await createUser(server);
  ownerEmail = owner.email;
  alice = await createUser(server);
  app = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK);
  processId = (await createProcess(server, alice.email, 'Invoice approval')).id;
});

after(() => server?.stop());

const codeParams = (client: ClientFixture, extra: Record<string, string> = {}) =>
  ({ response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'process_read', state: 'st-123', ...extra });

function assertSecurityHeaders(response: PageResponse): void {
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('cache-control'), 'no-store');
}

/** Asserts a redirect to the callback with `iss` and the state; returns its query. */
function assertCallback(callback: URL, state = 'st-123'): URLSearchParams {
  assert.equal(`${callback.origin}${callback.pathname}`, CALLBACK);
  assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207: iss on every authorization response');
  assert.equal(callback.searchParams.get('state'), state);
  return callback.searchParams;
}

async function exchange(code: string, client = app) {
  return tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: client.client_id, client_secret: client.client_secret! });
}

test('sign-in, consent, code, token, then the process from the API', async () => {
  const browser = new CookieBrowser(server.url);
  const first = await browser.get(authorizeUrl(server, codeParams(app)));
  assert.equal(first.status, 303);
  assert.equal(first.location?.pathname, '/login');
  assert.match(first.location!.searchParams.get('return_to')!, /^\/oauth\/authorize\?/);

  const login = await browser.get(first.location!);
  assert.equal(login.status, 200);
  const signedIn = await submitSignIn(browser, login, alice.email, alice.password);
  assert.equal(signedIn.status, 303);
  assert.equal(signedIn.location?.pathname, '/oauth/authorize');

  const consent = await browser.get(signedIn.location!);
  assert.equal(consent.status, 200);
  assert.match(consent.text, /Test app/, 'names the application');
  assert.ok(consent.text.includes(ownerEmail), 'names who made it');
  assert.match(consent.text, /process_read<\/code>: Read processes/, 'lists the scope with its description');
  assert.match(consent.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/app\.example\.com;/);

  const approved = await browser.post('/oauth/authorize', { ...formFields(consent.text, '/oauth/authorize'), decision: 'approve' });
  assert.equal(approved.status, 303);
  assert.equal(approved.headers.get('cache-control'), 'no-store');
  const code = assertCallback(approved.location!).get('code')!;
  assert.ok(Buffer.from(code, 'base64url').length >= 32, 'the code has at least 256 bits');

  const token = await exchange(code);
  assert.equal(token.status, 200, token.text);
  assert.equal(token.body.scope, 'process_read');
  assert.equal(typeof token.body.refresh_token, 'string');
  const process = await apiRequest(server, `/api/v1/processes/${processId}`, token.body.access_token as string);
  assert.equal(process.status, 200, process.text);
  assert.equal(process.body.name, 'Invoice approval');
});

test('consent is remembered: the second authorization skips the consent page', async () => {
  const browser = new CookieBrowser(server.url);
  const client = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK);
  const firstRun = await authorizeInBrowser(browser, authorizeUrl(server, codeParams(client)), alice);
  assert.equal(firstRun.sawConsent, true);

  const again = await browser.get(authorizeUrl(server, codeParams(client, { state: 'second' })));
  assert.equal(again.status, 303, again.text);
  assert.equal(again.headers.get('cache-control'), 'no-store');
  const code = assertCallback(again.location!, 'second').get('code')!;
  assert.equal((await exchange(code, client)).status, 200);

  // A wider scope than was approved asks again.
  const wider = await browser.get(authorizeUrl(server, codeParams(client, { scope: 'process' })));
  assert.equal(wider.status, 200);
  assert.ok(wider.text.includes('action="/oauth/authorize"'));
});

test('a first-party client skips consent', async () => {
  const firstParty = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK, '--first-party');
  const result = await authorizeInBrowser(new CookieBrowser(server.url), authorizeUrl(server, codeParams(firstParty)), alice);
  assert.equal(result.sawConsent, false);
  const code = assertCallback(result.callback).get('code')!;
  assert.equal((await exchange(code, firstParty)).status, 200);
});

test('deny: access_denied with state and iss, and no code', async () => {
  const client = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK);
  const { callback } = await authorizeInBrowser(new CookieBrowser(server.url), authorizeUrl(server, codeParams(client)), { ...alice, decision: 'deny' });
  const query = assertCallback(callback);
  assert.equal(query.get('error'), 'access_denied');
  assert.equal(query.get('code'), null);
});

describe('errors after the redirect URI is verified go back to the client, with iss', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['response_type=token (implicit grant)', { response_type: 'token' }, 'unsupported_response_type'],
    ['an empty response_type', { response_type: '' }, 'unsupported_response_type'],
    ['an unknown scope', { scope: 'admin' }, 'invalid_scope'],
    ['PKCE method plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
  ];
  for (const [name, extra, error] of cases) {
    test(name, async () => {
      const response = await new CookieBrowser(server.url).get(authorizeUrl(server, codeParams(app, extra)));
      assert.equal(response.status, 303, response.text);
      const query = assertCallback(response.location!);
      assert.equal(query.get('error'), error);
      assert.ok(query.get('error_description'));
      assert.equal(query.get('code'), null);
    });
  }
});

test('the session cookie is HttpOnly and SameSite=Lax, and its id changes at sign-in', async () => {
  // Session fixation: an attacker signs in, plants their session id in the victim's browser.
  const attacker = new CookieBrowser(server.url);
  await signIn(attacker, owner.email, owner.password);
  const planted = attacker.cookie('gh_session')!.value;
  const browser = new CookieBrowser(server.url);
  browser.cookies.set('gh_session', { value: planted, line: '' });

  await signIn(browser, alice.email, alice.password);
  const session = browser.cookie('gh_session')!;
  assert.notEqual(session.value, planted);
  assert.match(session.line, /; HttpOnly/i);
  assert.match(session.line, /; SameSite=Lax/i);
  assert.match(browser.cookie('gh_csrf')!.line, /; HttpOnly/i);
  assert.equal((await attacker.get('/')).location?.pathname, '/login', 'the planted session ended');

  assert.equal((await browser.get('/')).location?.pathname, '/apps', 'the home page sends a signed-in user to the portal');
  const home = await browser.get('/tokens');
  assert.equal(home.status, 200);
  assert.ok(home.text.includes(alice.email), 'a portal page says who is signed in');

  // Signing in again on the same browser gives a new id, and a new CSRF token.
  await signIn(browser, alice.email, alice.password);
  assert.notEqual(browser.cookie('gh_session')!.value, session.value);
  const stale = await browser.post('/logout', formFields(home.text, '/logout'));
  assert.equal(stale.status, 403, 'the old session\'s CSRF token is no longer valid');

  const out = await browser.post('/logout', formFields((await browser.get('/tokens')).text, '/logout'));
  assert.equal(out.status, 303);
  assert.equal(out.location?.pathname, '/login');
  assert.equal((await browser.get('/')).location?.pathname, '/login');
});

test('the consent form refuses a missing or wrong CSRF token, without redirecting', async () => {
  const browser = new CookieBrowser(server.url);
  await signIn(browser, alice.email, alice.password);
  const client = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK);
  const consent = await browser.get(authorizeUrl(server, codeParams(client)));
  const fields: Record<string, string> = { ...formFields(consent.text, '/oauth/authorize'), decision: 'approve' };
  assert.ok(fields.csrf_token);

  const missing = { ...fields };
  delete missing.csrf_token;
  for (const form of [missing, { ...fields, csrf_token: 'wrong' }]) {
    const response = await browser.post('/oauth/authorize', form);
    assert.equal(response.status, 403, response.text);
    assert.equal(response.location, null);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  }
  // The same form with the right token still works.
  assert.equal((await browser.post('/oauth/authorize', fields)).status, 303);
});

test('return_to on sign-in stays on this origin', async () => {
  for (const target of ['https://evil.example', '//evil.example/x', '/\\evil.example', '/\t/evil.example', 'javascript:alert(1)']) {
    const browser = new CookieBrowser(server.url);
    const login = await browser.get(`/login?${new URLSearchParams({ return_to: target })}`);
    const fields = formFields(login.text, '/login');
    // Whether or not the form kept it, a forged POST carries it anyway.
    const response = await browser.post('/login', { ...fields, return_to: target, email: alice.email, password: alice.password });
    assert.equal(response.status, 303, `${target}: ${response.text}`);
    assert.equal(response.headers.get('location'), '/', target);
  }
  const browser = new CookieBrowser(server.url);
  const login = await browser.get('/login?return_to=%2Fsome%2Fpage%3Fa%3D1');
  const response = await submitSignIn(browser, login, alice.email, alice.password);
  assert.equal(response.headers.get('location'), '/some/page?a=1');
});

test('sign-in refuses a missing CSRF cookie and wrong credentials with a generic message', async () => {
  const browser = new CookieBrowser(server.url);
  const login = await browser.get('/login');
  const fields = formFields(login.text, '/login');
  const noCookie = await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ ...fields, email: alice.email, password: alice.password }), redirect: 'manual' });
  assert.equal(noCookie.status, 403);
  assert.ok(!(noCookie.headers.get('set-cookie') ?? '').includes('gh_session='), 'no session was started');

  const wrong = await submitSignIn(browser, login, alice.email, 'wrong password');
  const unknown = await submitSignIn(browser, login, 'nobody@example.test', 'wrong password');
  for (const response of [wrong, unknown]) {
    assert.equal(response.status, 401);
    assert.match(response.text, /The email or password is incorrect/);
  }
  assert.equal(browser.cookie('gh_session'), undefined);
});

test('security headers on the sign-in and consent pages; no CORS on /oauth/authorize', async () => {
  const browser = new CookieBrowser(server.url);
  const login = await browser.get('/login');
  assertSecurityHeaders(login);
  assert.match(login.headers.get('content-security-policy') ?? '', /form-action 'self';/);
  await signIn(browser, alice.email, alice.password);
  const client = await createClient(server, ownerEmail, '--redirect-uri', CALLBACK);
  const consent = await browser.request(authorizeUrl(server, codeParams(client)), { headers: { origin: 'https://evil.example' } });
  assert.equal(consent.status, 200);
  assertSecurityHeaders(consent);
  assert.equal(consent.headers.get('access-control-allow-origin'), null);
  const preflight = await browser.request('/oauth/authorize', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
});

test('brute force: five wrong passwords from one address stop that address only, also against parallel guesses', async (t) => {
  // A server of its own, which believes X-Forwarded-For from loopback, so that one test can be several addresses.
  const own = await startServer({ env: { GATEHOUSE_TRUST_PROXY: '127.0.0.1' } });
  t.after(() => own.stop());
  const attempt = async (email: string, password: string, address = '198.51.100.1') => {
    const browser = new CookieBrowser(own.url);
    const headers = { 'x-forwarded-for': address };
    const login = await browser.request('/login', { headers });
    return browser.request('/login', { form: { ...formFields(login.text, '/login'), email, password }, headers });
  };

  const victim = await createUser(own);
  for (let i = 0; i < 5; i++) assert.equal((await attempt(victim.email, 'guess')).status, 401);
  const locked = await attempt(victim.email, victim.password);
  assert.equal(locked.status, 429, 'the right password is refused too, from the guessing address');
  assert.match(locked.text, /Too many failed sign-ins\. Wait (1[0-5]|[1-9]) minutes? and try again\./, 'the wait is said in words');
  assert.ok(Number(locked.headers.get('retry-after')) > 60);
  // Anyone else, the owner included, still signs in from their own address.
  assert.equal((await attempt(victim.email, victim.password, '203.0.113.9')).status, 303, 'the account is not locked');

  const other = await createUser(own);
  const parallel = await Promise.all(Array.from({ length: 20 }, () => attempt(other.email, 'guess')));
  const statuses = parallel.map((r) => r.status);
  assert.ok(statuses.filter((s) => s === 401).length <= 5, `at most five guesses are checked: ${statuses.join(' ')}`);
  assert.equal(statuses.filter((s) => s === 429).length + statuses.filter((s) => s === 401).length, 20);
  assert.equal((await attempt(other.email, other.password)).status, 429);
});

test('a repeated parameter is an error page, not a redirect', async () => {
  const url = `${authorizeUrl(server, codeParams(app))}&scope=process`;
  const response = await new CookieBrowser(server.url).get(url);
  assert.equal(response.status, 400);
  assert.equal(response.location, null);
  assertSecurityHeaders(response);
});
