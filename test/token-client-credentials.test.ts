// POST /oauth/token with grant_type=client_credentials (RFC 6749 §4.4), its
// errors (§5.2), the metadata (RFC 8414) and secret rotation through the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createUser, type ClientFixture } from './support/fixtures.ts';
import { assertOAuthError, fetchJson, tokenRequest, type JsonResponse } from './support/http.ts';

const TTL = 900;

interface CreatedClient extends ClientFixture {
  client_secret: string;
  scopes: string[];
  grant_types: string[];
}

let server: TestServer;
let owner: string;
let client: CreatedClient;

const grant = (c: { client_id: string; client_secret: string | null }, extra: Record<string, string> = {}) =>
  ({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret ?? '', ...extra });
const basic = (c: { client_id: string; client_secret: string | null }) => ({ clientId: c.client_id, clientSecret: c.client_secret ?? '' });

before(async () => {
  server = await startServer({ env: { GATEHOUSE_ACCESS_TOKEN_TTL: String(TTL) } });
  owner = (await createUser(server)).email;
  client = (await createClient(server, owner)) as CreatedClient;
});

after(() => server?.stop());

/** Checks a successful token response and its JWT; returns the decoded claims. */
async function assertTokenResponse(response: JsonResponse, expected: { clientId: string; scope: string }) {
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = response.body;
  assert.equal(typeof body.access_token, 'string');
  assert.equal(body.token_type, 'Bearer');
  assert.ok(Number.isInteger(body.expires_in), `expires_in ${String(body.expires_in)} is an integer`);
  assert.equal(body.expires_in, TTL);
  assert.equal(body.scope, expected.scope);
  assert.equal(body.refresh_token, undefined, 'client_credentials issues no refresh token (RFC 6749 §4.4.3)');

  const token = body.access_token as string;
  const header = decodeProtectedHeader(token);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(header.alg, 'ES256');
  assert.equal(typeof header.kid, 'string');
  const jwks = await fetchJson<JSONWebKeySet>(`${server.url}/.well-known/jwks.json`);
  assert.equal(jwks.status, 200);
  assert.ok(jwks.body.keys.some((k) => k.kid === header.kid), `kid ${header.kid} is in the JWKS`);
  for (const key of jwks.body.keys) assert.equal(key.d, undefined, 'the JWKS holds no private key material');

  const claims = decodeJwt(token);
  for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope']) {
    assert.ok(claims[claim] !== undefined, `the token has ${claim}`);
  }
  assert.equal(claims.iss, server.url);
  assert.equal(claims.sub, expected.clientId);
  assert.equal(claims.client_id, expected.clientId);
  assert.equal(claims.aud, `${server.url}/api`);
  assert.equal(claims.scope, expected.scope);
  assert.equal(typeof claims.jti, 'string');
  assert.ok((claims.jti as string).length >= 16);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(claims.iat! - now) <= 60, 'iat is now');
  assert.equal(claims.exp! - claims.iat!, TTL);

  // The signature verifies against the published keys.
  const verified = await jwtVerify(token, createLocalJWKSet(jwks.body), {
    algorithms: ['ES256'], typ: 'at+jwt', issuer: server.url, audience: `${server.url}/api`,
  });
  assert.equal(verified.payload.jti, claims.jti);
  return claims;
}

test('client_secret_post (form) issues an ES256 at+jwt Bearer token', async () => {
  const response = await tokenRequest(server, grant(client));
  await assertTokenResponse(response, { clientId: client.client_id, scope: client.scopes.join(' ') });
});

test('client_secret_basic issues a token', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: basic(client) });
  await assertTokenResponse(response, { clientId: client.client_id, scope: client.scopes.join(' ') });
});

test('client_secret_basic with a matching client_id in the body issues a token', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id }, { basic: basic(client) });
  await assertTokenResponse(response, { clientId: client.client_id, scope: client.scopes.join(' ') });
});

test('a JSON body issues a token', async () => {
  const response = await tokenRequest(server, grant(client), { json: true });
  await assertTokenResponse(response, { clientId: client.client_id, scope: client.scopes.join(' ') });
});

test('every token has its own jti', async () => {
  const first = await tokenRequest(server, grant(client));
  const second = await tokenRequest(server, grant(client));
  assert.notEqual(first.body.access_token, second.body.access_token);
  assert.notEqual(decodeJwt(first.body.access_token as string).jti, decodeJwt(second.body.access_token as string).jti);
});

test('concurrent requests of two clients: each gets its own valid token (signatures are batched per turn)', async () => {
  const other = (await createClient(server, owner, '--scope', 'process_read')) as CreatedClient;
  const jwks = createLocalJWKSet((await fetchJson<JSONWebKeySet>(`${server.url}/.well-known/jwks.json`)).body);
  const clients = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? client : other));
  const responses = await Promise.all(clients.map((c) => tokenRequest(server, grant(c))));
  const jtis = new Set<string>();
  for (const [i, response] of responses.entries()) {
    assert.equal(response.status, 200, response.text);
    const { payload } = await jwtVerify(response.body.access_token as string, jwks, { issuer: server.url, typ: 'at+jwt' });
    assert.equal(payload.client_id, clients[i]!.client_id, `response ${i} carries its own client's token`);
    assert.equal(payload.scope, response.body.scope);
    jtis.add(String(payload.jti));
  }
  assert.equal(jtis.size, clients.length);
});

test('a parameter longer than 4096 characters: 400 invalid_request naming it', async () => {
  for (const name of ['client_id', 'client_secret', 'scope', 'grant_type']) {
    for (const json of [false, true]) {
      const response = await tokenRequest(server, { ...grant(client), [name]: 'x'.repeat(4097) }, { json });
      assertOAuthError(response, 400, 'invalid_request');
      assert.match(String(response.body.error_description), new RegExp(`${name} must be at most 4096 characters long`));
    }
  }
  // 4096 characters are still a parameter (and this one a wrong secret).
  assertOAuthError(await tokenRequest(server, { ...grant(client), client_secret: 'x'.repeat(4096) }), 401, 'invalid_client');
  // A client id that is not ASCII names no client.
  assertOAuthError(await tokenRequest(server, { ...grant(client), client_id: 'caf\u00e9' }), 401, 'invalid_client');
});

test('no scope requested: the client\'s default scopes', async () => {
  assert.deepEqual([...client.scopes].sort(), ['process', 'process_read']);
  const response = await tokenRequest(server, grant(client));
  assert.equal(response.status, 200, response.text);
  assert.deepEqual((response.body.scope as string).split(' ').sort(), [...client.scopes].sort());
  assert.deepEqual((decodeJwt(response.body.access_token as string).scope as string).split(' ').sort(), [...client.scopes].sort());
});

test('a narrower scope requested: exactly that scope', async () => {
  const response = await tokenRequest(server, grant(client, { scope: 'process_read' }));
  await assertTokenResponse(response, { clientId: client.client_id, scope: 'process_read' });
});

test('wrong secret (client_secret_post): 401 invalid_client', async () => {
  const response = await tokenRequest(server, { ...grant(client), client_secret: `${client.client_secret}x` });
  assertOAuthError(response, 401, 'invalid_client');
});

test('wrong secret (client_secret_basic): 401 invalid_client with a Basic challenge', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials' },
    { basic: { clientId: client.client_id, clientSecret: 'gcs_wrong' } });
  assertOAuthError(response, 401, 'invalid_client');
  assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /i);
});

test('empty secret: 401 invalid_client', async () => {
  const response = await tokenRequest(server, { ...grant(client), client_secret: '' });
  assertOAuthError(response, 401, 'invalid_client');
});

test('unknown client: 401 invalid_client, described as a wrong secret is', async () => {
  const unknown = await tokenRequest(server, grant({ client_id: 'no-such-client', client_secret: client.client_secret }));
  assertOAuthError(unknown, 401, 'invalid_client');
  const wrong = await tokenRequest(server, { ...grant(client), client_secret: 'gcs_wrong' });
  assert.equal(unknown.body.error_description, wrong.body.error_description, 'an unknown id cannot be told from a wrong secret');
  const unknownBasic = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: { clientId: 'no-such-client', clientSecret: 'x' } });
  assertOAuthError(unknownBasic, 401, 'invalid_client');
  assert.match(unknownBasic.headers.get('www-authenticate') ?? '', /^Basic /i);
});

test('20 failed authentications of a client from one address: then even its right secret is refused for a while, other clients are not', async () => {
  const target = (await createClient(server, owner)) as CreatedClient;
  for (let i = 0; i < 20; i++) assertOAuthError(await tokenRequest(server, grant({ ...target, client_secret: `wrong-${i}` })), 401, 'invalid_client');
  const refused = await tokenRequest(server, grant(target));
  assertOAuthError(refused, 401, 'invalid_client');
  assert.match(String(refused.body.error_description), /too many failed client authentications/);
  const wait = Number(refused.headers.get('retry-after'));
  assert.ok(wait > 0 && wait <= 600, `retry-after ${wait}`);
  const viaBasic = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: basic(target) });
  assertOAuthError(viaBasic, 401, 'invalid_client');
  assert.match(viaBasic.headers.get('www-authenticate') ?? '', /^Basic /);
  // Introspection authenticates clients the same way.
  const introspection = await fetchJson(`${server.url}/oauth/introspect`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: 'x', client_id: target.client_id, client_secret: target.client_secret }).toString(),
  });
  assertOAuthError(introspection, 401, 'invalid_client');
  // Another client from the same address is not held up.
  assert.equal((await tokenRequest(server, grant(client))).status, 200);
});

test('failures with made-up long client ids are counted under their first 64 characters, so they cannot fill the limiter with 4 KiB keys', async () => {
  const prefix = `made-up-${'x'.repeat(56)}`;
  for (let i = 0; i < 20; i++) {
    assertOAuthError(await tokenRequest(server, { grant_type: 'client_credentials', client_id: `${prefix}${'y'.repeat(4000)}${i}`, client_secret: 's' }), 401, 'invalid_client');
  }
  const refused = await tokenRequest(server, { grant_type: 'client_credentials', client_id: `${prefix}another`, client_secret: 's' });
  assertOAuthError(refused, 401, 'invalid_client');
  assert.ok(refused.headers.get('retry-after'), 'the 64-character key is over its limit');
});

test('no client authentication at all: 401 invalid_client', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials' });
  assertOAuthError(response, 401, 'invalid_client');
});

test('a client not allowed the grant: 400 unauthorized_client', async () => {
  const webApp = await createClient(server, owner, '--grant', 'authorization_code', '--redirect-uri', 'https://app.example.com/cb');
  assert.equal(typeof webApp.client_secret, 'string');
  const response = await tokenRequest(server, grant(webApp));
  assertOAuthError(response, 400, 'unauthorized_client');
});

test('a scope outside the client\'s allowlist: 400 invalid_scope', async () => {
  const reader = await createClient(server, owner, '--scope', 'process_read');
  assertOAuthError(await tokenRequest(server, grant(reader, { scope: 'process' })), 400, 'invalid_scope');
  assertOAuthError(await tokenRequest(server, grant(reader, { scope: 'process_read process' })), 400, 'invalid_scope');
  assertOAuthError(await tokenRequest(server, grant(client, { scope: 'admin' })), 400, 'invalid_scope');
  // The allowed scope still works for that client.
  const ok = await tokenRequest(server, grant(reader, { scope: 'process_read' }));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.scope, 'process_read');
});

test('malformed JSON body: 400 invalid_request', async () => {
  const response = await tokenRequest(server, {}, {
    rawBody: `{"grant_type":"client_credentials","client_id":"${client.client_id}",`,
    contentType: 'application/json',
  });
  assertOAuthError(response, 400, 'invalid_request');
});

test('a JSON body that is not an object: 400 invalid_request', async () => {
  const response = await tokenRequest(server, {}, { rawBody: '["client_credentials"]', contentType: 'application/json' });
  assertOAuthError(response, 400, 'invalid_request');
});

test('missing grant_type: 400 invalid_request', async () => {
  const params: Record<string, string> = grant(client);
  delete params.grant_type;
  assertOAuthError(await tokenRequest(server, params), 400, 'invalid_request');
  assertOAuthError(await tokenRequest(server, params, { json: true }), 400, 'invalid_request');
});

test('a repeated parameter: 400 invalid_request', async () => {
  const form = new URLSearchParams(grant(client));
  form.append('scope', 'process_read');
  form.append('scope', 'process');
  assertOAuthError(await tokenRequest(server, {}, { rawBody: form.toString() }), 400, 'invalid_request');

  const twoGrantTypes = new URLSearchParams(grant(client));
  twoGrantTypes.append('grant_type', 'client_credentials');
  assertOAuthError(await tokenRequest(server, {}, { rawBody: twoGrantTypes.toString() }), 400, 'invalid_request');
});

test('a repeated member in a JSON body: 400 invalid_request, like a form', async () => {
  const { client_id, client_secret } = grant(client);
  const json = (text: string) => tokenRequest(server, {}, { rawBody: text, contentType: 'application/json' });
  const repeated = await json(`{"grant_type":"client_credentials","client_id":${JSON.stringify(client_id)},"client_secret":${JSON.stringify(client_secret)},"scope":"process_read","scope":"process"}`);
  assertOAuthError(repeated, 400, 'invalid_request');
  assert.match(String(repeated.body.error_description), /scope/);
  // Escaped spellings of the same name are the same member.
  assertOAuthError(await json(`{"grant_type":"client_credentials","grant_\\u0074ype":"client_credentials","client_id":${JSON.stringify(client_id)},"client_secret":${JSON.stringify(client_secret)}}`), 400, 'invalid_request');
  assertOAuthError(await json(`{"__proto__":{"x":1},"grant_type":"client_credentials"}`), 400, 'invalid_request');
  // Nested objects may repeat names of the top level, and a value may look like a key: that is
  // no repeat. (A nested object is still refused, as every value that is not a string is.)
  const nested = await json(`{"grant_type":"client_credentials","client_id":${JSON.stringify(client_id)},"client_secret":${JSON.stringify(client_secret)},"extra":{"scope":"a","x":"\\"scope\\":"}}`);
  assertOAuthError(nested, 400, 'invalid_request');
  assert.equal(nested.body.error_description, 'the parameter "extra" must be a string');
  const lookalike = await json(`{"grant_type":"client_credentials","client_id":${JSON.stringify(client_id)},"client_secret":${JSON.stringify(client_secret)},"extra":"\\"scope\\":"}`);
  assert.equal(lookalike.status, 200, lookalike.text);
});

test('an unknown grant type: 400 unsupported_grant_type', async () => {
  assertOAuthError(await tokenRequest(server, grant(client, { grant_type: 'urn:example:no-such-grant' })), 400, 'unsupported_grant_type');
});

test('Basic credentials plus client_secret in the body: 400 invalid_request', async () => {
  const response = await tokenRequest(server, { grant_type: 'client_credentials', client_secret: client.client_secret }, { basic: basic(client) });
  assertOAuthError(response, 400, 'invalid_request');
});

test('an unsupported content type: 400 invalid_request', async () => {
  const form = new URLSearchParams(grant(client)).toString();
  assertOAuthError(await tokenRequest(server, {}, { rawBody: form, contentType: 'text/plain' }), 400, 'invalid_request');
  assertOAuthError(await tokenRequest(server, {}, { rawBody: form, contentType: 'application/xml' }), 400, 'invalid_request');
});

test('unknown extra parameters are ignored (RFC 6749 §3.2)', async () => {
  const response = await tokenRequest(server, grant(client, { audience: 'https://elsewhere.example', foo: 'bar' }));
  await assertTokenResponse(response, { clientId: client.client_id, scope: client.scopes.join(' ') });
});

test('metadata at /.well-known/oauth-authorization-server', async () => {
  const response = await fetchJson(`${server.url}/.well-known/oauth-authorization-server`);
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  const metadata = response.body;
  assert.equal(metadata.issuer, server.url);
  assert.equal(metadata.token_endpoint, `${server.url}/oauth/token`);
  assert.equal(metadata.jwks_uri, `${server.url}/.well-known/jwks.json`);
  assert.ok((metadata.grant_types_supported as string[]).includes('client_credentials'));
  const methods = metadata.token_endpoint_auth_methods_supported as string[];
  assert.ok(methods.includes('client_secret_basic') && methods.includes('client_secret_post'));

  // The advertised endpoints are the ones that work.
  const jwks = await fetchJson<JSONWebKeySet>(metadata.jwks_uri as string);
  assert.equal(jwks.status, 200);
  assert.ok(jwks.body.keys.length >= 1);
  const token = await fetchJson(metadata.token_endpoint as string, { method: 'POST', body: new URLSearchParams(grant(client)) });
  assert.equal(token.status, 200, token.text);
});

interface Rotated {
  client_id: string;
  client_secret: string;
  previous_secret_expires_at: string | null;
}

/**
 * The server caches clients; a change made by the CLI (another process)
 * reaches it through the revocation feed, polled each second. Waits, bounded.
 */
async function untilRefused(params: Record<string, string>): Promise<void> {
  for (let i = 0; i < 30; i++) {
    if ((await tokenRequest(server, params)).status === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('rotate-secret --grace 0 (by the CLI, another process): the new secret works at once, the old one is refused within a second', async () => {
  const app = await createClient(server, owner);
  assert.equal((await tokenRequest(server, grant(app))).status, 200);
  const rotated = await server.cliJson<Rotated>('clients', 'rotate-secret', app.client_id, '--grace', '0');
  assert.equal(rotated.client_id, app.client_id);
  assert.notEqual(rotated.client_secret, app.client_secret);
  assert.match(rotated.client_secret, /^gcs_[A-Za-z0-9_-]{43,}$/);
  assert.equal(rotated.previous_secret_expires_at, null);

  const renewed = { client_id: app.client_id, client_secret: rotated.client_secret };
  await assertTokenResponse(await tokenRequest(server, grant(renewed)), { clientId: app.client_id, scope: 'process_read process' });
  await assertTokenResponse(await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: basic(renewed) }),
    { clientId: app.client_id, scope: 'process_read process' });
  await untilRefused(grant(app));
  assertOAuthError(await tokenRequest(server, grant(app)), 401, 'invalid_client');
  assertOAuthError(await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: basic(app) }), 401, 'invalid_client');
});

test('rotate-secret --grace 1: the old secret works during the grace period and fails after it', async () => {
  const app = await createClient(server, owner);
  const rotated = await server.cliJson<Rotated>('clients', 'rotate-secret', app.client_id, '--grace', '1');
  const renewed = { client_id: app.client_id, client_secret: rotated.client_secret };
  assert.equal((await tokenRequest(server, grant(renewed))).status, 200, 'new secret');
  assert.equal((await tokenRequest(server, grant(app))).status, 200, 'old secret, within the grace period');
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(rotated.previous_secret_expires_at!) - Date.now()) + 100));
  assertOAuthError(await tokenRequest(server, grant(app)), 401, 'invalid_client');
  assert.equal((await tokenRequest(server, grant(renewed))).status, 200, 'new secret, after');
});

test('rotate-secret --grace 3600: the old secret keeps working during the grace period', async () => {
  const app = await createClient(server, owner);
  const rotated = await server.cliJson<Rotated>('clients', 'rotate-secret', app.client_id, '--grace', '3600');
  assert.ok(rotated.previous_secret_expires_at, 'the grace period has an end');
  const expiresIn = Date.parse(rotated.previous_secret_expires_at) - Date.now();
  assert.ok(expiresIn > 3500_000 && expiresIn <= 3600_000, `grace ends in about an hour (${expiresIn} ms)`);

  const renewed = { client_id: app.client_id, client_secret: rotated.client_secret };
  assert.equal((await tokenRequest(server, grant(app))).status, 200, 'old secret, post');
  assert.equal((await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: basic(app) })).status, 200, 'old secret, basic');
  assert.equal((await tokenRequest(server, grant(renewed))).status, 200, 'new secret');

  // A second rotation without grace ends the first one's grace too.
  const again = await server.cliJson<Rotated>('clients', 'rotate-secret', app.client_id, '--grace', '0');
  await untilRefused(grant(app));
  assertOAuthError(await tokenRequest(server, grant(app)), 401, 'invalid_client');
  assertOAuthError(await tokenRequest(server, grant(renewed)), 401, 'invalid_client');
  assert.equal((await tokenRequest(server, grant({ client_id: app.client_id, client_secret: again.client_secret }))).status, 200);
});
