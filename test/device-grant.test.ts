// RFC 8628 end to end: a device polls while a person approves (or denies)
// in the browser; expiry; slow_down; and the /device page's guards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { fetchJson, type JsonResponse } from './support/http.ts';
import { CookieBrowser, formFields, signIn } from './support/browser-http.ts';
import { launchChromium } from './support/chromium.ts';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

interface DeviceStart {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

let server: TestServer;
let user: { email: string; password: string };
let clientId: string;
let processId: string;

before(async () => {
  server = await startServer({ env: { GATEHOUSE_DEVICE_POLL_INTERVAL: '1' } });
  user = await createUser(server);
  processId = (await createProcess(server, user.email)).id;
  const client = await createClient(server, user.email, '--public', '--grant', DEVICE_GRANT, '--grant', 'refresh_token', '--scope', 'process_read');
  clientId = client.client_id;
});
after(() => server.stop());

async function start(on = server, id = clientId): Promise<DeviceStart> {
  const response = await fetchJson<DeviceStart>(`${on.url}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: id }) });
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return response.body;
}

const poll = (deviceCode: string, on = server, id = clientId): Promise<JsonResponse<Record<string, string>>> =>
  fetchJson(`${on.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: id }) });

/** Polls as RFC 8628 §3.5 asks: wait `interval`, add 5 s on slow_down, stop on anything but pending. */
async function pollUntilDecided(start: DeviceStart): Promise<JsonResponse<Record<string, string>>> {
  let interval = start.interval;
  for (let i = 0; i < 60; i++) {
    await sleep(interval * 1000);
    const response = await poll(start.device_code);
    if (response.body.error === 'slow_down') interval += 5;
    else if (response.body.error !== 'authorization_pending') return response;
  }
  throw new Error('the device was never decided');
}

async function decideInBrowser(code: string, decision: 'approve' | 'deny'): Promise<string> {
  const browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
  // People type codes in any case, without the dash.
  const entry = await browser.get('/device');
  assert.equal(entry.status, 200);
  const confirm = await browser.post('/device', { ...formFields(entry.text, '/device'), user_code: code.replace('-', '').toLowerCase() });
  assert.equal(confirm.status, 200, confirm.text);
  assert.match(confirm.text, /Test app/);
  assert.match(confirm.text, /process_read/);
  const done = await browser.post('/device', { ...formFields(confirm.text, '/device'), decision });
  assert.equal(done.status, 200, done.text);
  return done.text;
}

test('the metadata names the device endpoint; a client without the grant is refused', async () => {
  const metadata = await fetchJson<Record<string, unknown>>(`${server.url}/.well-known/oauth-authorization-server`);
  assert.equal(metadata.body.device_authorization_endpoint, `${server.url}/oauth/device_authorization`);
  assert.ok((metadata.body.grant_types_supported as string[]).includes(DEVICE_GRANT));
  const other = await createClient(server, user.email, '--public', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1:9/cb');
  const refused = await fetchJson<{ error: string }>(`${server.url}/oauth/device_authorization`, { method: 'POST', body: new URLSearchParams({ client_id: other.client_id }) });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error, 'unauthorized_client');
});

test('a readable user code; polling says pending, then slow_down when too fast', async () => {
  const device = await start();
  assert.match(device.user_code, USER_CODE);
  assert.equal(device.verification_uri, `${server.url}/device`);
  assert.equal(device.verification_uri_complete, `${server.url}/device?user_code=${device.user_code}`);
  assert.equal(device.interval, 1);
  assert.equal(device.expires_in, 600);
  const first = await poll(device.device_code);
  assert.equal(first.status, 400);
  assert.equal(first.body.error, 'authorization_pending');
  const second = await poll(device.device_code);
  assert.equal(second.body.error, 'slow_down');
  const unknown = await poll('not-a-device-code');
  assert.equal(unknown.body.error, 'invalid_grant');
});

test('approved in the browser: the polling device gets tokens that work, once', async () => {
  const device = await start();
  const polling = pollUntilDecided(device);
  const notice = await decideInBrowser(device.user_code, 'approve');
  assert.match(notice, /is connected/);
  const tokens = await polling;
  assert.equal(tokens.status, 200, tokens.text);
  assert.equal(tokens.body.token_type, 'Bearer');
  assert.ok(tokens.body.refresh_token);
  const api = await fetch(`${server.url}/api/v1/processes/${processId}`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
  assert.equal(api.status, 200);
  const again = await poll(device.device_code);
  assert.equal(again.body.error, 'invalid_grant');
});

test('denied in the browser: the device gets access_denied', async () => {
  const device = await start();
  const polling = pollUntilDecided(device);
  assert.match(await decideInBrowser(device.user_code, 'deny'), /You denied/);
  const answer = await polling;
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'access_denied');
});

test('real Chromium: sign in, enter the code, approve, while the device polls', async (t) => {
  const device = await start();
  const polling = pollUntilDecided(device);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(device.verification_uri_complete);
  await page.fill('input[name="email"]', user.email);
  await page.fill('input[name="password"]', user.password);
  await page.click('button[type="submit"]');
  // Back on /device with the code filled in from the URL.
  await page.waitForURL(/\/device/);
  assert.equal(await page.inputValue('input[name="user_code"]'), device.user_code);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('is connected').waitFor();
  const tokens = await polling;
  assert.equal(tokens.status, 200, tokens.text);
});

test('the /device page needs sign-in and a CSRF token, and throttles wrong codes', async () => {
  const browser = new CookieBrowser(server.url);
  const anonymous = await browser.get('/device?user_code=ABCD-EFGH');
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.location?.pathname, '/login');
  assert.equal(anonymous.location?.searchParams.get('return_to'), '/device?user_code=ABCD-EFGH');

  const other = await createUser(server);
  await signIn(browser, other.email, other.password);
  const device = await start();
  const noCsrf = await browser.post('/device', { user_code: device.user_code, decision: 'approve' });
  assert.equal(noCsrf.status, 403);
  assert.equal((await poll(device.device_code)).body.error, 'authorization_pending');

  const entry = await browser.get('/device');
  const fields = formFields(entry.text, '/device');
  let last = 0;
  for (let i = 0; i < 11; i++) last = (await browser.post('/device', { ...fields, user_code: 'BBBB-BBBB' })).status;
  assert.equal(last, 429);
  // Even the right code is refused while throttled.
  assert.equal((await browser.post('/device', { ...fields, user_code: device.user_code })).status, 429);
});

test('an expired device code: expired_token, and the page no longer accepts it', async (t) => {
  const short = await startServer({ env: { GATEHOUSE_DEVICE_CODE_TTL: '5', GATEHOUSE_DEVICE_POLL_INTERVAL: '1' } });
  t.after(() => short.stop());
  const owner = await createUser(short);
  const client = await createClient(short, owner.email, '--public', '--grant', DEVICE_GRANT);
  const device = await start(short, client.client_id);
  assert.equal(device.expires_in, 5);
  await sleep(5_500);
  const expired = await poll(device.device_code, short, client.client_id);
  assert.equal(expired.status, 400);
  assert.equal(expired.body.error, 'expired_token');
  const browser = new CookieBrowser(short.url);
  await signIn(browser, owner.email, owner.password);
  const entry = await browser.get('/device');
  const late = await browser.post('/device', { ...formFields(entry.text, '/device'), user_code: device.user_code });
  assert.equal(late.status, 400);
  assert.match(late.text, /not valid or has expired/);
});
