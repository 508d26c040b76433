// PKCE at both ends (RFC 7636, RFC 9700 §2.1.1, §4.8) and the rules for codes:
// single use with revocation on replay, short life, bound to the redirect URI
// and the client (RFC 9700 §4.2.4, RFC 6749 §4.1.3).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, assertOAuthError, tokenRequest } from './support/http.ts';
import { authorizeInBrowser, authorizeUrl, CookieBrowser, signIn } from './support/browser-http.ts';
import { s256 } from '../src/oauth/grants/authorization-code.ts';

const CALLBACK = 'https://app.example.com/callback';
const OTHER_CALLBACK = 'https://app.example.com/other';

let server: TestServer;
let user: { email: string; password: string };
let browser: CookieBrowser;
let processId: string;
let publicApp: ClientFixture;
let confidential: ClientFixture;

before(async () => {
  server = await startServer();
  user = await createUser(server);
  publicApp = await createClient(server, user.email, '--public', '--redirect-uri', CALLBACK);
  confidential = await createClient(server, user.email, '--redirect-uri', CALLBACK, '--redirect-uri', OTHER_CALLBACK);
  processId = (await createProcess(server, user.email)).id;
  browser = new CookieBrowser(server.url);
  await signIn(browser, user.email, user.password);
});

after(() => server?.stop());

const newVerifier = () => randomBytes(32).toString('base64url');

function authorizeParams(client: ClientFixture, extra: Record<string, string> = {}): Record<string, string> {
  return { response_type: 'code', client_id: client.client_id, redirect_uri: CALLBACK, scope: 'process_read', state: 's1', ...extra };
}

/** Runs the authorization in the signed-in browser; returns the code. */
async function getCode(client: ClientFixture, extra: Record<string, string> = {}, b = browser): Promise<string> {
  const { callback } = await authorizeInBrowser(b, authorizeUrl(server, authorizeParams(client, extra)), user);
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code: ${callback.href}`);
  return code;
}

const exchange = (client: ClientFixture, code: string, extra: Record<string, string> = {}) => tokenRequest(server, {
  grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: client.client_id,
  ...(client.client_secret ? { client_secret: client.client_secret } : {}), ...extra,
});

const pkce = (verifier: string) => ({ code_challenge: s256(verifier), code_challenge_method: 'S256' });

test('a public client without a code_challenge gets invalid_request at its redirect URI', async () => {
  const response = await browser.get(authorizeUrl(server, authorizeParams(publicApp)));
  assert.equal(response.status, 303);
  assert.equal(response.location?.searchParams.get('error'), 'invalid_request');
  assert.equal(response.location?.searchParams.get('iss'), server.url);
  assert.equal(response.location?.searchParams.get('state'), 's1');
  assert.equal(response.location?.searchParams.get('code'), null);
});

test('a confidential client with --require-pkce must send a challenge too', async () => {
  const strict = await createClient(server, user.email, '--redirect-uri', CALLBACK, '--require-pkce');
  const response = await browser.get(authorizeUrl(server, authorizeParams(strict)));
  assert.equal(response.location?.searchParams.get('error'), 'invalid_request');
});

test('a public client with S256 gets tokens with the code_verifier and no secret', async () => {
  const verifier = newVerifier();
  const code = await getCode(publicApp, pkce(verifier));
  const token = await exchange(publicApp, code, { code_verifier: verifier });
  assert.equal(token.status, 200, token.text);
  assert.equal(typeof token.body.refresh_token, 'string');
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, token.body.access_token as string)).status, 200);
});

test('a wrong code_verifier, or none, is invalid_grant', async () => {
  const code = await getCode(publicApp, pkce(newVerifier()));
  assertOAuthError(await exchange(publicApp, code, { code_verifier: newVerifier() }), 400, 'invalid_grant');
  const another = await getCode(publicApp, pkce(newVerifier()));
  assertOAuthError(await exchange(publicApp, another), 400, 'invalid_grant');
});

test('PKCE downgrade: a verifier for a code issued without a challenge is invalid_grant', async () => {
  const code = await getCode(confidential);
  assertOAuthError(await exchange(confidential, code, { code_verifier: newVerifier() }), 400, 'invalid_grant');
});

test('only S256: plain, a missing method, or a malformed challenge is invalid_request', async () => {
  const verifier = newVerifier();
  const cases: Array<Record<string, string>> = [
    { code_challenge: verifier, code_challenge_method: 'plain' },
    { code_challenge: s256(verifier) },
    { code_challenge: s256(verifier), code_challenge_method: 's256' },
    { code_challenge: 'too-short', code_challenge_method: 'S256' },
    { code_challenge_method: 'S256' },
  ];
  for (const extra of cases) {
    const response = await browser.get(authorizeUrl(server, authorizeParams(confidential, extra)));
    assert.equal(response.status, 303, JSON.stringify(extra));
    assert.equal(response.location?.searchParams.get('error'), 'invalid_request', JSON.stringify(extra));
    assert.equal(response.location?.searchParams.get('iss'), server.url);
  }
});

test('code replay: refused, and the tokens from the first exchange are revoked', async () => {
  const code = await getCode(confidential);
  const first = await exchange(confidential, code);
  assert.equal(first.status, 200, first.text);
  const accessToken = first.body.access_token as string;
  assert.equal((await apiRequest(server, `/api/v1/processes/${processId}`, accessToken)).status, 200);

  assertOAuthError(await exchange(confidential, code), 400, 'invalid_grant');
  const api = await apiRequest(server, `/api/v1/processes/${processId}`, accessToken);
  assert.equal(api.status, 401, 'the access token from the first exchange is revoked');
  const refresh = await tokenRequest(server, {
    grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string,
    client_id: confidential.client_id, client_secret: confidential.client_secret!,
  });
  assertOAuthError(refresh, 400, 'invalid_grant');
});

test('redirect_uri at the token endpoint must be the one used at authorize', async () => {
  const code = await getCode(confidential, { redirect_uri: OTHER_CALLBACK });
  assertOAuthError(await exchange(confidential, code, { redirect_uri: CALLBACK }), 400, 'invalid_grant');
  const omitted = await getCode(confidential, { redirect_uri: OTHER_CALLBACK });
  const { status, text } = await tokenRequest(server, {
    grant_type: 'authorization_code', code: omitted, client_id: confidential.client_id, client_secret: confidential.client_secret!,
  });
  assert.equal(status, 400, `a redirect_uri sent at authorize must be sent again: ${text}`);
});

test('a code issued to another client is invalid_grant', async () => {
  const other = await createClient(server, user.email, '--redirect-uri', CALLBACK);
  const code = await getCode(confidential);
  assertOAuthError(await exchange(other, code), 400, 'invalid_grant');
  // The rightful client can still use it: the other client's attempt did not consume it.
  assert.equal((await exchange(confidential, code)).status, 200);
});

test('an expired code is invalid_grant', async (t) => {
  // The shortest code lifetime allowed is 10 s, so this waits a real 11 s.
  const short = await startServer({ env: { GATEHOUSE_AUTH_CODE_TTL: '10' } });
  t.after(() => short.stop());
  const shortUser = await createUser(short);
  const client = await createClient(short, shortUser.email, '--redirect-uri', CALLBACK, '--first-party');
  const own = new CookieBrowser(short.url);
  const { callback } = await authorizeInBrowser(own, `${short.url}/oauth/authorize?${new URLSearchParams(authorizeParams(client))}`, shortUser);
  const code = callback.searchParams.get('code')!;
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  const response = await tokenRequest(short, {
    grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: client.client_id, client_secret: client.client_secret!,
  });
  assertOAuthError(response, 400, 'invalid_grant');
  assert.match(response.body.error_description as string, /expired/);
});
