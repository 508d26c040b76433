// The findings of the security review of issue #9, each as behaviour that
// failed before the fix. In-process (app.inject): fast, with a store of its own.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InjectBrowser, startApp, type TestApp } from './support/app.ts';
import { SYSTEM } from './support/audit.ts';
import { OPERATOR } from '../src/client/client-service.ts';
import type { Client } from '../src/client/client.ts';
import type { User } from '../src/user/user.ts';
import { passwordProblem } from '../src/user/password-policy.ts';

let t: TestApp;
const PASSWORD = 'correct horse battery';
let counter = 0;
const email = (label: string) => `${label}-${++counter}@example.test`;

before(async () => {
  t = await startApp();
});
after(() => t?.close());

async function user(options: { admin?: boolean } = {}): Promise<User> {
  return t.services.users.create({ email: email('u'), password: PASSWORD, admin: options.admin ?? false }, SYSTEM);
}

async function client(owner: User, input: Partial<Parameters<TestApp['services']['clients']['create']>[0]> = {}): Promise<{ client: Client; secret: string }> {
  const { client: c, clientSecret } = await t.services.clients.create({
    workspaceId: await t.services.users.workspaceOf(owner.id), createdBy: owner.id, name: 'App', grantTypes: ['password', 'refresh_token', 'client_credentials'], ...input,
  }, OPERATOR, SYSTEM);
  return { client: c, secret: clientSecret ?? '' };
}

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await t.inject({ method: 'POST', url: '/oauth/token', payload: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: response.statusCode, body: response.json() as Record<string, string>, headers: response.headers };
}

async function passwordToken(c: { client: Client; secret: string }, u: User, scope?: string) {
  const response = await token({ grant_type: 'password', username: u.email, password: PASSWORD, client_id: c.client.clientId, client_secret: c.secret, ...(scope ? { scope } : {}) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

const api = (method: 'GET' | 'POST' | 'DELETE', url: string, bearer: string, payload?: object) =>
  t.inject({ method, url, headers: { authorization: `Bearer ${bearer}` }, ...(payload ? { payload } : {}) });

test('1. a third-party app cannot list, mint or revoke the user\'s personal access tokens; a first-party app and a PAT can', async () => {
  const owner = await user();
  const alice = await user();
  const thirdParty = await passwordToken(await client(owner), alice, 'process_read');
  for (const [method, url, payload] of [
    ['GET', '/api/v1/users/me/tokens', undefined],
    ['POST', '/api/v1/users/me/tokens', { name: 'forever', scopes: ['process_read'], expires_in_days: null }],
    ['DELETE', '/api/v1/users/me/tokens/pat-anything', undefined],
  ] as const) {
    const response = await api(method, url, thirdParty.access_token!, payload);
    assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
    assert.equal(response.json().error, 'first_party_required');
  }
  assert.deepEqual(await t.services.pats.list(alice.id), [], 'no PAT was made');

  const firstParty = await passwordToken(await client(owner, { firstParty: true }), alice, 'process_read');
  const made = await api('POST', '/api/v1/users/me/tokens', firstParty.access_token!, { name: 'from the first-party app', scopes: ['process_read'], expires_in_days: 7 });
  assert.equal(made.statusCode, 201, made.body);
  assert.equal((await api('GET', '/api/v1/users/me/tokens', firstParty.access_token!)).statusCode, 200);
});

test('1. a token may not mint one that outlives it: a 30-day PAT makes a 29-day one, not 30 days nor one without expiry', async () => {
  const alice = await user();
  const { token: parent } = await t.services.pats.create(alice.id, { name: 'parent', scopes: ['process_read'], expiresInDays: 30 }, SYSTEM);
  for (const expires of [null, 30, 3650]) {
    const refused = await api('POST', '/api/v1/users/me/tokens', parent, { name: 'child', scopes: ['process_read'], expires_in_days: expires });
    assert.equal(refused.statusCode, 422, `${expires}: ${refused.body}`);
    assert.match(refused.json().errors[0].message, /may not outlive it: at most 29 days/);
  }
  const child = await api('POST', '/api/v1/users/me/tokens', parent, { name: 'child', scopes: ['process_read'], expires_in_days: 29 });
  assert.equal(child.statusCode, 201, child.body);

  const { token: shortLived } = await t.services.pats.create(alice.id, { name: 'one day', scopes: ['process_read'], expiresInDays: 1 }, SYSTEM);
  const none = await api('POST', '/api/v1/users/me/tokens', shortLived, { name: 'forever', scopes: ['process_read'], expires_in_days: null });
  assert.equal(none.statusCode, 422);
  assert.match(none.json().errors[0].message, /cannot make one/);
  // Nor stronger: a read-only PAT cannot make a write one.
  const stronger = await api('POST', '/api/v1/users/me/tokens', parent, { name: 'writer', scopes: ['process'], expires_in_days: 1 });
  assert.equal(stronger.statusCode, 403);
});

test('2. a public client that is not first-party is asked for consent every time, even after an approval', async () => {
  const owner = await user();
  const alice = await user();
  const callback = 'http://127.0.0.1/callback';
  const { client: app } = await client(owner, { isPublic: true, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [callback] });
  const browser = new InjectBrowser(t);
  assert.equal((await browser.signIn(alice.email, PASSWORD)).statusCode, 303);
  const authorize = (port: number) => `/oauth/authorize?${new URLSearchParams({
    response_type: 'code', client_id: app.clientId, redirect_uri: `http://127.0.0.1:${port}/callback`, scope: 'process_read',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  })}`;
  const consent = await browser.get(authorize(4000));
  assert.equal(consent.statusCode, 200);
  assert.match(consent.body, /<h1>Authorize App<\/h1>/);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(consent.body)![1]!;
  const hidden = Object.fromEntries([...consent.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
  const approved = await browser.post('/oauth/authorize', { ...hidden, csrf_token: csrf, decision: 'approve' });
  assert.equal(approved.statusCode, 303);
  assert.ok(new URL(approved.headers.location as string).searchParams.get('code'));
  // Anyone can start a new request with this client_id, a challenge of their own and another port:
  const again = await browser.get(authorize(5555));
  assert.equal(again.statusCode, 200, 'the user is asked again, not sent a code');
  assert.match(again.body, /<h1>Authorize App<\/h1>/);
});

test('3. disabling a user ends a device code they approved before, and their own apps\' client-credentials tokens', async () => {
  const owner = await user();
  const alice = await user();
  const device = await client(owner, { grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] });
  const started = (await t.inject({ method: 'POST', url: '/oauth/device_authorization', payload: { client_id: device.client.clientId, client_secret: device.secret } })).json();
  const browser = new InjectBrowser(t);
  await browser.signIn(alice.email, PASSWORD);
  const csrf = await browser.csrf('/device');
  const entered = await browser.post('/device', { csrf_token: csrf, user_code: started.user_code, decision: 'approve' });
  assert.match(entered.body, /is connected/);
  await t.services.accounts.disable(alice.id, SYSTEM);
  const poll = await token({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: device.client.clientId, client_secret: device.secret });
  assert.equal(poll.status, 400, JSON.stringify(poll.body));
  assert.equal(poll.body.error, 'invalid_grant');
  assert.equal(poll.body.access_token, undefined);

  // The apps a disabled user registered stop: live tokens are refused, new ones are not issued.
  const bob = await user();
  const process = await t.services.processes.create(await t.services.users.workspaceOf(bob.id), { name: 'P' }, bob.email);
  const robot = await client(bob, { grantTypes: ['client_credentials'] });
  const cc = { grant_type: 'client_credentials', client_id: robot.client.clientId, client_secret: robot.secret };
  const live = (await token(cc)).body.access_token!;
  assert.equal((await api('GET', `/api/v1/processes/${process.id}`, live)).statusCode, 200);
  await t.services.accounts.disable(bob.id, SYSTEM);
  assert.equal((await api('GET', `/api/v1/processes/${process.id}`, live)).statusCode, 401, 'the live token is refused');
  const refused = await token(cc);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, 'invalid_client');
  await t.services.accounts.enable(bob.id, SYSTEM);
  assert.equal((await token(cc)).status, 200, 'enabled again, the app works again');
  assert.equal((await api('GET', `/api/v1/processes/${process.id}`, live)).statusCode, 401, 'the old token stays revoked');
});

test('4. guesses from one address cannot lock the account for others, and a busy address of successes is never throttled', async () => {
  const victim = await user({ admin: true });
  const from = (address: string) => ({ remoteAddress: address });
  const signIn = async (password: string, address: string) => {
    const browser = new InjectBrowser(t);
    const login = await t.inject({ method: 'GET', url: '/login', ...from(address) });
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)![1]!;
    const cookie = (login.cookies as Array<{ name: string; value: string }>).map((c) => `${c.name}=${c.value}`).join('; ');
    void browser;
    return t.inject({
      method: 'POST', url: '/login', ...from(address), headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf_token: csrf, return_to: '/', email: victim.email, password }).toString(),
    });
  };
  for (let i = 0; i < 6; i++) await signIn('wrong guess', '198.51.100.7');
  const there = await signIn(PASSWORD, '198.51.100.7');
  assert.equal(there.statusCode, 429);
  assert.match(there.body, /Wait 1[45] minutes and try again/, 'the wait in words');
  assert.equal((await signIn(PASSWORD, '203.0.113.1')).statusCode, 303, 'the admin signs in from elsewhere');

  // From many addresses: a growing delay, never a lock; a familiar address skips it.
  for (let i = 0; i < 12; i++) await signIn('wrong guess', `192.0.2.${i + 1}`);
  const delayed = await signIn(PASSWORD, '192.0.2.200');
  assert.equal(delayed.statusCode, 429);
  const wait = Number(delayed.headers['retry-after']);
  assert.ok(wait >= 1 && wait <= 60, `a delay of at most a minute: ${wait}`);
  assert.match(delayed.body, /Wait \d+ seconds? and try again/);
  assert.equal((await signIn(PASSWORD, '203.0.113.1')).statusCode, 303, 'an address that signed in before is familiar');

  // 60 successful sign-ins from one address (a NAT) are never throttled.
  const crowd = await Promise.all(Array.from({ length: 12 }, () => user()));
  for (let round = 0; round < 5; round++) {
    for (const member of crowd) {
      const browser = new InjectBrowser(t);
      const login = await browser.get('/login');
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)![1]!;
      const response = await browser.post('/login', { csrf_token: csrf, return_to: '/', email: member.email, password: PASSWORD });
      assert.equal(response.statusCode, 303, `round ${round}: ${response.statusCode}`);
    }
  }
});

test('5. approving one\'s own device request does not reset the limit on code entries', async () => {
  const owner = await user();
  const alice = await user();
  const device = await client(owner, { grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
  const started = (await t.inject({ method: 'POST', url: '/oauth/device_authorization', payload: { client_id: device.client.clientId, client_secret: device.secret } })).json();
  const browser = new InjectBrowser(t);
  await browser.signIn(alice.email, PASSWORD);
  const csrf = await browser.csrf('/device');
  for (let i = 0; i < 8; i++) assert.equal((await browser.post('/device', { csrf_token: csrf, user_code: 'BBBB-BBBB' })).statusCode, 400);
  assert.equal((await browser.post('/device', { csrf_token: csrf, user_code: started.user_code })).statusCode, 200);
  assert.match((await browser.post('/device', { csrf_token: csrf, user_code: started.user_code, decision: 'approve' })).body, /is connected/);
  const next = await browser.post('/device', { csrf_token: csrf, user_code: 'CCCC-CCCC' });
  assert.equal(next.statusCode, 429, 'the guesses still count');
  assert.match(next.body, /Wait \d+ minutes? and try again/);
});

test('6. non-string JSON parameters are invalid_request, never a 500, and their values never reach the log', async () => {
  const owner = await user();
  const app = await client(owner);
  const bodies = [
    { grant_type: 'password', username: 'someone@example.test', password: 987654321, client_id: app.client.clientId, client_secret: app.secret },
    { grant_type: 'password', username: ['a', 'b'], password: 'x', client_id: app.client.clientId, client_secret: app.secret },
    { grant_type: 'client_credentials', client_id: app.client.clientId, client_secret: { $ne: 1 } },
    { grant_type: 'refresh_token', refresh_token: 123456, client_id: app.client.clientId, client_secret: app.secret },
    { grant_type: 'client_credentials', client_id: app.client.clientId, client_secret: app.secret, scope: null },
  ];
  for (const payload of bodies) {
    const response = await t.inject({ method: 'POST', url: '/oauth/token', payload });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().error, 'invalid_request');
    assert.match(response.json().error_description, /must be a string/);
  }
  for (const url of ['/oauth/revoke', '/oauth/introspect', '/oauth/device_authorization']) {
    const response = await t.inject({ method: 'POST', url, payload: { client_id: app.client.clientId, client_secret: app.secret, token: 42 } });
    assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
  }
  assert.doesNotMatch(t.log(), /987654321/, 'the password is not in the log');
  assert.doesNotMatch(t.log(), /"level":50/, 'nothing was logged as an error');

  // The device page reads forms only: a JSON user_code is refused, not a 500.
  const browser = new InjectBrowser(t);
  await browser.signIn(owner.email, PASSWORD);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const json = await t.inject({ method: 'POST', url: '/device', headers: { cookie }, payload: { user_code: 12345678 } });
  assert.equal(json.statusCode, 415);
  assert.match(json.headers['content-type'] as string, /^text\/html/);
});

test('6. argument errors are logged without their message, which quotes the value', async () => {
  const { serializeError } = await import('../src/http/logger.ts');
  let error: unknown;
  try {
    Buffer.from({ secret: 'hunter2-secret' } as never);
  } catch (e) {
    error = e;
  }
  const logged = JSON.stringify(serializeError(error));
  assert.doesNotMatch(logged, /hunter2/);
  assert.match(logged, /ERR_INVALID_ARG_TYPE/);
  assert.match(logged, /message withheld/);
});

test('8. under an https issuer cookies are __Host- prefixed; a planted pre-session CSRF token is refused', async (c) => {
  const secure = await startApp({ GATEHOUSE_ISSUER: 'https://gatehouse.test' });
  c.after(() => secure.close());
  const login = await secure.inject({ method: 'GET', url: '/login' });
  const setCookie = String(login.headers['set-cookie']);
  assert.match(setCookie, /^__Host-gh_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(login.body)![1]!;
  const alice = await secure.services.users.create({ email: 'alice@example.test', password: PASSWORD }, SYSTEM);
  const post = (cookieValue: string, token: string, headers: Record<string, string> = {}) => secure.inject({
    method: 'POST', url: '/login', headers: { cookie: `__Host-gh_csrf=${cookieValue}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ csrf_token: token, email: alice.email, password: PASSWORD, return_to: '/' }).toString(),
  });
  // A value of the attacker's choosing, planted as cookie and field alike (double submit alone would pass it).
  assert.equal((await post('planted-by-a-sibling-subdomain-0123456789', 'planted-by-a-sibling-subdomain-0123456789')).statusCode, 403);
  const forgedMac = `${csrf.split('.').slice(0, 2).join('.')}.${'A'.repeat(43)}`;
  assert.equal((await post(forgedMac, forgedMac)).statusCode, 403);
  // A form posted from another origin, or a sibling site, is refused whatever its token.
  assert.equal((await post(csrf, csrf, { origin: 'https://evil.gatehouse.test' })).statusCode, 403);
  assert.equal((await post(csrf, csrf, { 'sec-fetch-site': 'same-site' })).statusCode, 403);
  const signedIn = await post(csrf, csrf, { 'sec-fetch-site': 'same-origin', origin: 'null' });
  assert.equal(signedIn.statusCode, 303, signedIn.body);
  assert.match(String(signedIn.headers['set-cookie']), /^__Host-gh_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});

test('9. an address that looks like an existing one cannot register beside it; invisible characters are refused', async () => {
  const original = await t.services.users.create({ email: 'look.alike@example.test', password: PASSWORD }, SYSTEM);
  await assert.rejects(t.services.users.create({ email: 'ｌｏｏｋ.ａｌｉｋｅ@example.test', password: PASSWORD }, SYSTEM), /already exists/);
  for (const variant of ['look.al\u200Bike@example.test', 'look.alike\u202E@example.test', 'look\u00ADalike@example.test', 'look.alike@exam\u2060ple.test']) {
    await assert.rejects(t.services.users.create({ email: variant, password: PASSWORD }, SYSTEM), /invisible or text-direction/, JSON.stringify(variant));
  }
  // The fullwidth form signs in to the same account.
  const browser = new InjectBrowser(t);
  assert.equal((await browser.signIn('ＬＯＯＫ.alike@example.test', PASSWORD)).statusCode, 303);
  assert.equal((await t.services.users.requireByEmail('LOOK.ALIKE@example.test')).id, original.id);
});

test('10. the most common passwords are refused, whatever their case; the length rule stays', async () => {
  for (const common of ['password123', 'Password1', 'iloveyou1', 'qwertyuiop', '12345678']) {
    assert.match(passwordProblem(common) ?? '', /most common passwords/, common);
    await assert.rejects(t.services.users.create({ email: email('weak'), password: common }, SYSTEM), /most common passwords/);
  }
  assert.match(passwordProblem('short') ?? '', /at least 8 characters/);
  assert.equal(passwordProblem('correct horse battery'), null);
});

test('11. HEAD /tokens does not use up the one-time display of a new token', async () => {
  const alice = await user();
  const browser = new InjectBrowser(t);
  await browser.signIn(alice.email, PASSWORD);
  const csrf = await browser.csrf('/tokens');
  assert.equal((await browser.post('/tokens', { csrf_token: csrf, name: 'ci', scope_process_read: 'on', expiry: '30' })).statusCode, 303);
  const head = await browser.request('HEAD', '/tokens');
  assert.equal(head.statusCode, 200);
  assert.match((await browser.get('/tokens')).body, /Your new token/, 'the GET still shows it');
});

test('11. POST /oauth/device_authorization with an empty body works for a client that authenticates with Basic', async () => {
  const owner = await user();
  const device = await client(owner, { grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
  const basic = `Basic ${Buffer.from(`${device.client.clientId}:${device.secret}`).toString('base64')}`;
  for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-length': '0' }]) {
    const response = await t.inject({ method: 'POST', url: '/oauth/device_authorization', headers: { authorization: basic, ...headers } });
    assert.equal(response.statusCode, 200, `${JSON.stringify(headers)}: ${response.body}`);
    assert.match(response.json().user_code, /^[A-Z]{4}-[A-Z]{4}$/);
  }
});

test('11. the device approval page says who made the app', async () => {
  const owner = await user();
  const alice = await user();
  const device = await client(owner, { name: 'Thermostat', grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'] });
  const started = (await t.inject({ method: 'POST', url: '/oauth/device_authorization', payload: { client_id: device.client.clientId, client_secret: device.secret } })).json();
  const browser = new InjectBrowser(t);
  await browser.signIn(alice.email, PASSWORD);
  const page = await browser.post('/device', { csrf_token: await browser.csrf('/device'), user_code: started.user_code });
  assert.match(page.body, new RegExp(`Thermostat</strong>, an application made by <strong>${owner.email.replace('.', '\\.')}</strong>`));
});

test('11. only an admin can turn the password grant on; a member keeps one an admin gave', async () => {
  const member = await user();
  const browser = new InjectBrowser(t);
  await browser.signIn(member.email, PASSWORD);
  const csrf = await browser.csrf('/apps/new');
  const form = { csrf_token: csrf, name: 'Script', redirect_uris: '', purpose: 'custom', client_type: 'confidential', 'grant:password': 'on', 'scope:process_read': 'on' };
  const refused = await browser.post('/apps', form);
  assert.equal(refused.statusCode, 422);
  assert.match(refused.body, /Only an administrator can allow the password grant/);
  assert.match((await browser.get('/apps/new')).body, /name="grant:password" value="on"[^>]*disabled/, 'the box is disabled for members');

  const admin = await user({ admin: true });
  const adminBrowser = new InjectBrowser(t);
  await adminBrowser.signIn(admin.email, PASSWORD);
  const allowed = await adminBrowser.post('/apps', { ...form, csrf_token: await adminBrowser.csrf('/apps/new') });
  assert.equal(allowed.statusCode, 303, allowed.body);
});
