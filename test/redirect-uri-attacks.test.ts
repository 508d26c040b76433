// Redirect-URI matching at /oauth/authorize (RFC 9700 §4.1.3, §4.11): every
// variant of a registered URI is refused with an error page and no redirect,
// whether or not the user is signed in. Only a loopback port may vary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createUser, type ClientFixture } from './support/fixtures.ts';
import { tokenRequest } from './support/http.ts';
import { authorizeUrl, CookieBrowser, signIn, type PageResponse } from './support/browser-http.ts';

const CALLBACK = 'https://app.example.com/callback';
const WITH_QUERY = 'https://app.example.com/cb?tenant=1';
const LOOPBACK = 'http://127.0.0.1:8765/cb';
const LOOPBACK_V6 = 'http://[::1]:8765/cb';

let server: TestServer;
let owner: string;
/** First-party, so a matching mistake would redirect a code at once. */
let app: ClientFixture;
let signedIn: CookieBrowser;

before(async () => {
  server = await startServer();
  const user = await createUser(server);
  owner = user.email;
  app = await createClient(server, owner, '--first-party',
    '--redirect-uri', CALLBACK, '--redirect-uri', WITH_QUERY, '--redirect-uri', LOOPBACK, '--redirect-uri', LOOPBACK_V6);
  signedIn = new CookieBrowser(server.url);
  await signIn(signedIn, user.email, user.password);
});

after(() => server?.stop());

const params = (clientId: string, redirectUri?: string, extra: Record<string, string> = {}) => ({
  response_type: 'code', client_id: clientId, scope: 'process_read', state: 'xyz',
  ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }), ...extra,
});

function assertErrorPage(response: PageResponse, context: string): void {
  assert.equal(response.status, 400, `${context}: ${response.status} ${response.headers.get('location')}`);
  assert.equal(response.headers.get('location'), null, `${context}: never redirect`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/, context);
  assert.match(response.text, /Invalid authorization request/, context);
  assert.equal(response.headers.get('x-frame-options'), 'DENY', context);
}

/** Asserts the request is refused with a page, signed out and signed in. */
async function assertRefused(query: Record<string, string>, context: string): Promise<void> {
  assertErrorPage(await new CookieBrowser(server.url).get(authorizeUrl(server, query)), `${context} (signed out)`);
  assertErrorPage(await signedIn.get(authorizeUrl(server, query)), `${context} (signed in)`);
}

describe('variants of a registered redirect URI are refused', () => {
  const variants: Record<string, string[]> = {
    'prefix and suffix extension': [
      `${CALLBACK}/extra`, `${CALLBACK}x`, `${CALLBACK}/`, 'https://app.example.com/', 'https://app.example.com',
      'https://app.example.com.evil.example/callback', 'https://evil.example/https://app.example.com/callback',
      `${CALLBACK}?next=https://evil.example`, `${WITH_QUERY}&x=1`, 'https://app.example.com/cb?tenant=2', 'https://app.example.com/cb',
    ],
    'different case': ['https://APP.example.com/callback', 'https://app.example.com/Callback', 'HTTPS://app.example.com/callback'],
    'path traversal': [
      `${CALLBACK}/../evil`, 'https://app.example.com/evil/../callback', 'https://app.example.com/x/..;/callback',
      `${CALLBACK}/..;/evil`, 'https://app.example.com/%2e%2e/callback', 'https://app.example.com/%63allback',
    ],
    fragment: [`${CALLBACK}#`, `${CALLBACK}#frag`, `${CALLBACK}#@evil.example`],
    userinfo: [
      'https://app.example.com@evil.example/callback', 'https://evil.example@app.example.com/callback',
      'https://a@b@app.example.com/callback', 'https://app.example.com:443@evil.example/callback',
      'https://user:pass@app.example.com/callback', `http://127.0.0.1:8765@evil.example/cb`, 'http://evil.example@127.0.0.1:8765/cb',
    ],
    'another port on a host that is not loopback': ['https://app.example.com:8443/callback', 'https://app.example.com:443/callback'],
    'javascript: and data: in any case': [
      'javascript:alert(1)', 'JavaScript:alert(document.domain)//', 'JAVASCRIPT:alert(1)',
      'data:text/html,<script>alert(1)</script>', 'DATA:text/html;base64,PHNjcmlwdD4=', 'Data:,x',
    ],
    'loopback tricks': [
      'http://localhost:8765/cb', 'http://localhost:9999/cb', 'https://127.0.0.1:8765/cb', 'http://127.0.0.1.evil.example:8765/cb',
      'http://127.0.0.1:9999/cb?x=1', 'http://127.0.0.1:9999/other', 'http://127.0.0.1:9999/cb/../x', 'http://127.0.0.1:99999/cb',
      'http://127.0.0.1:0/cb', 'http://127.0.0.1:/cb', 'http://127.0.0.2:8765/cb', 'http://[::1]:9999/cb#x', 'http://[0:0:0:0:0:0:0:1]:8765/cb',
    ],
    'whitespace and empty': [` ${CALLBACK}`, `${CALLBACK} `, `${CALLBACK}%20`, `${CALLBACK}\t`, ''],
  };
  for (const [name, uris] of Object.entries(variants)) {
    test(name, async () => {
      for (const uri of uris) await assertRefused(params(app.client_id, uri), JSON.stringify(uri));
    });
  }
});

test('an unknown or missing client, or one without the code grant, gets an error page', async () => {
  const machine = await createClient(server, owner);
  await assertRefused(params('no-such-client', CALLBACK), 'unknown client');
  await assertRefused(params('', CALLBACK), 'empty client_id');
  const noClient: Record<string, string> = params(app.client_id, CALLBACK);
  delete noClient.client_id;
  await assertRefused(noClient, 'missing client_id');
  await assertRefused(params(machine.client_id, CALLBACK), 'client_credentials-only client');
  // Even a bad response_type is not redirected before the redirect URI is verified.
  await assertRefused(params('no-such-client', CALLBACK, { response_type: 'token' }), 'unknown client, implicit grant');
});

test('a repeated client_id or redirect_uri is an error page', async () => {
  const base = authorizeUrl(server, params(app.client_id, CALLBACK));
  for (const extra of [`&redirect_uri=${encodeURIComponent('https://evil.example/')}`, `&client_id=${app.client_id}`, '&state=again']) {
    assertErrorPage(await signedIn.get(base + extra), extra);
  }
});

async function assertCodeFor(redirectUri: string | undefined, expectedTarget: string, client = app): Promise<string> {
  const response = await signedIn.get(authorizeUrl(server, params(client.client_id, redirectUri)));
  assert.equal(response.status, 303, response.text);
  const location = response.headers.get('location')!;
  assert.ok(location.startsWith(`${expectedTarget}${expectedTarget.includes('?') ? '&' : '?'}`), location);
  const code = response.location!.searchParams.get('code');
  assert.ok(code);
  return code;
}

test('loopback redirect URIs accept any port, with path and query unchanged (RFC 8252 §7.3)', async () => {
  for (const uri of ['http://127.0.0.1:51234/cb', 'http://127.0.0.1/cb', LOOPBACK, 'http://[::1]:4000/cb']) {
    const code = await assertCodeFor(uri, uri);
    const token = await tokenRequest(server, { grant_type: 'authorization_code', code, redirect_uri: uri, client_id: app.client_id, client_secret: app.client_secret! });
    assert.equal(token.status, 200, `${uri}: ${token.text}`);
  }
});

test('a registered URI with a query keeps it, and the response is added to it', async () => {
  const code = await assertCodeFor(WITH_QUERY, WITH_QUERY);
  assert.ok(code);
});

test('an omitted redirect_uri uses the only registered one; with several it is an error page', async () => {
  const single = await createClient(server, owner, '--first-party', '--redirect-uri', CALLBACK);
  const code = await assertCodeFor(undefined, CALLBACK, single);
  // It was not sent, so the token request need not send it either (RFC 6749 §4.1.3).
  const token = await tokenRequest(server, { grant_type: 'authorization_code', code, client_id: single.client_id, client_secret: single.client_secret! });
  assert.equal(token.status, 200, token.text);

  await assertRefused(params(app.client_id), 'several registered, none sent');
});
