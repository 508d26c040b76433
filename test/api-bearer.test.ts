// The process API behind bearer tokens (RFC 6750): reads, pagination,
// creation, scope checks, and every way a token can be refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { base64url, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { KyselyStore } from '../src/store/kysely-store.ts';
import { startServer, type TestServer } from './support/server.ts';
import { clientCredentialsToken, createClient, createProcess, createUser, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, assertApiError, fetchJson, type JsonResponse } from './support/http.ts';

let server: TestServer;
let store: KyselyStore;
let owner: string;
let client: ClientFixture;
let token: string;
let readToken: string;
let process1: { id: string; name: string };
/** The server's signing key, read from its store. */
let signing: { kid: string; privateKey: SignKey; publicJwk: JWK };

type SignKey = Parameters<SignJWT['sign']>[0];

before(async () => {
  server = await startServer();
  owner = (await createUser(server)).email;
  client = await createClient(server, owner);
  token = await clientCredentialsToken(server, client);
  const reader = await createClient(server, owner, '--scope', 'process_read');
  readToken = await clientCredentialsToken(server, reader);
  process1 = await createProcess(server, owner, 'Month-end close');

  store = KyselyStore.open(server.env.DATABASE_URL!);
  const [key] = await store.signingKeys.listPublished(new Date().toISOString());
  assert.ok(key, 'the server made a signing key');
  signing = {
    kid: key.kid,
    privateKey: await importJWK(JSON.parse(key.privateJwk) as JWK, 'ES256'),
    publicJwk: key.publicJwk as JWK,
  };
});

after(async () => {
  await store?.close();
  await server?.stop();
});

const getProcess = (id: string, bearer?: string) => apiRequest(server, `/api/v1/processes/${id}`, bearer);

/** Claims like the server's own tokens for `client`, valid for five minutes. */
function validClaims(): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: server.url,
    sub: client.client_id,
    aud: `${server.url}/api`,
    iat: now,
    exp: now + 300,
    jti: `forged-${Math.random().toString(36).slice(2)}`,
    client_id: client.client_id,
    scope: 'process_read process',
    ws: client.workspace_id,
  };
}

function forge(claims: JWTPayload, header: Record<string, unknown> = {}, key: SignKey = signing.privateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signing.kid, ...header }).sign(key);
}

const encodePart = (value: object) => base64url.encode(JSON.stringify(value));

function assertInvalidToken(response: JsonResponse): void {
  assertApiError(response, 401, 'invalid_token');
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  assert.ok(challenge.includes('error="invalid_token"'), challenge);
  assert.deepEqual(Object.keys(response.body).sort(), ['error', 'message', 'request_id']);
}

test('GET /api/v1/processes/{id} returns the process', async () => {
  const response = await getProcess(process1.id, token);
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/);
  assert.equal(response.body.id, process1.id);
  assert.equal(response.body.name, 'Month-end close');
  assert.equal(response.body.description, 'Reconciles the ledger');
  assert.ok(!Number.isNaN(Date.parse(response.body.dateCreated as string)));
  assert.ok(!Number.isNaN(Date.parse(response.body.dateModified as string)));
  assert.equal(response.body.lastModifiedBy, owner);
  assert.equal(response.body.workspaceId, undefined, 'internal fields stay internal');
  assert.ok(response.headers.get('x-request-id'));
});

test('a process_read token may read', async () => {
  const response = await getProcess(process1.id, readToken);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.body.id, process1.id);
});

test('an unknown process id: 404 not_found', async () => {
  assertApiError(await getProcess('p-doesnotexist', token), 404, 'not_found');
});

test('GET /api/v1/processes pages with limit and cursor', async () => {
  const { email } = await createUser(server);
  const pager = await createClient(server, email);
  const pagerToken = await clientCredentialsToken(server, pager);
  const created = [];
  for (const name of ['A', 'B', 'C']) created.push(await createProcess(server, email, name));

  const first = await apiRequest(server, '/api/v1/processes?limit=2', pagerToken);
  assert.equal(first.status, 200, first.text);
  const firstData = first.body.data as { id: string }[];
  assert.equal(firstData.length, 2);
  assert.equal(typeof first.body.nextCursor, 'string');

  const second = await apiRequest(server, `/api/v1/processes?limit=2&cursor=${encodeURIComponent(first.body.nextCursor as string)}`, pagerToken);
  assert.equal(second.status, 200, second.text);
  const secondData = second.body.data as { id: string; name: string }[];
  assert.equal(secondData.length, 1);
  assert.equal(second.body.nextCursor, null);

  const seen = [...firstData, ...secondData].map((p) => p.id);
  assert.equal(new Set(seen).size, 3, 'no process appears twice');
  assert.deepEqual([...seen].sort(), created.map((p) => p.id).sort());

  // Without a limit, one page holds all three.
  const all = await apiRequest(server, '/api/v1/processes', pagerToken);
  assert.equal((all.body.data as unknown[]).length, 3);
  assert.equal(all.body.nextCursor, null);
});

test('GET /api/v1/processes with a bad limit: 422 validation_failed', async () => {
  const response = await apiRequest(server, '/api/v1/processes?limit=0', token);
  assertApiError(response, 422, 'validation_failed');
  assert.ok(Array.isArray(response.body.errors), response.text);
});

test('POST /api/v1/processes creates a process: 201 with Location', async () => {
  const response = await apiRequest(server, '/api/v1/processes', token, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Payroll run', description: 'Fortnightly' }),
  });
  assert.equal(response.status, 201, response.text);
  assert.match(response.body.id as string, /^p-[a-z0-9]+$/);
  assert.equal(response.body.name, 'Payroll run');
  assert.equal(response.body.description, 'Fortnightly');
  assert.equal(response.body.lastModifiedBy, 'Test app', 'a client acting for itself is named by its app name');
  const location = response.headers.get('location');
  assert.equal(location, `/api/v1/processes/${response.body.id as string}`);

  const fetched = await apiRequest(server, location!, token);
  assert.equal(fetched.status, 200);
  assert.deepEqual(fetched.body, response.body);
});

async function postProcess(body: unknown, bearer = token): Promise<JsonResponse> {
  return apiRequest(server, '/api/v1/processes', bearer, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

test('POST without a name: 422 with the field in errors', async () => {
  const response = await postProcess({ description: 'no name' });
  assertApiError(response, 422, 'validation_failed');
  assert.ok(Array.isArray(response.body.errors), `errors is an array: ${response.text}`);
  assert.deepEqual(response.body.errors, [{ field: 'name', message: 'is required' }]);
});

test('POST with an unknown field: 422 with the field in errors', async () => {
  const response = await postProcess({ name: 'x', owner: 'someone' });
  assertApiError(response, 422, 'validation_failed');
  assert.ok(Array.isArray(response.body.errors), `errors is an array: ${response.text}`);
  assert.deepEqual(response.body.errors, [{ field: 'owner', message: 'is not a known field' }]);
});

test('POST with only process_read: 403 insufficient_scope', async () => {
  const response = await postProcess({ name: 'Not allowed' }, readToken);
  assertApiError(response, 403, 'insufficient_scope');
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  assert.ok(challenge.includes('error="insufficient_scope"'), challenge);
  assert.ok(challenge.includes('scope="process"'), challenge);
});

test('a forged token with the right key and claims is accepted (control for the tests below)', async () => {
  const response = await getProcess(process1.id, await forge(validClaims()));
  assert.equal(response.status, 200, response.text);
});

test('an expired token: 401 invalid_token', async () => {
  const now = Math.floor(Date.now() / 1000);
  assertInvalidToken(await getProcess(process1.id, await forge({ ...validClaims(), iat: now - 7200, exp: now - 3600 })));
});

test('a token signed by another key: 401 invalid_token', async () => {
  const { privateKey } = await generateKeyPair('ES256');
  // Claiming the server's kid, and with a kid of its own.
  assertInvalidToken(await getProcess(process1.id, await forge(validClaims(), {}, privateKey)));
  assertInvalidToken(await getProcess(process1.id, await forge(validClaims(), { kid: 'attacker-key' }, privateKey)));
  assertInvalidToken(await getProcess(process1.id, await forge(validClaims(), { kid: undefined }, privateKey)));
});

test('alg "none": 401 invalid_token', async () => {
  const unsigned = `${encodePart({ alg: 'none', typ: 'at+jwt', kid: signing.kid })}.${encodePart(validClaims())}.`;
  assertInvalidToken(await getProcess(process1.id, unsigned));
  const noKid = `${encodePart({ alg: 'none', typ: 'at+jwt' })}.${encodePart(validClaims())}.`;
  assertInvalidToken(await getProcess(process1.id, noKid));
});

test('HS256 keyed with the server\'s public key (algorithm confusion): 401 invalid_token', async () => {
  const publicKey = createPublicKey({ key: signing.publicJwk as JsonWebKey, format: 'jwk' });
  const secrets = [
    publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicKey.export({ type: 'spki', format: 'der' }),
    JSON.stringify(signing.publicJwk),
  ];
  for (const secret of secrets) {
    const input = `${encodePart({ alg: 'HS256', typ: 'at+jwt', kid: signing.kid })}.${encodePart(validClaims())}`;
    const mac = createHmac('sha256', secret).update(input).digest('base64url');
    assertInvalidToken(await getProcess(process1.id, `${input}.${mac}`));
  }
});

test('a token for another audience: 401 invalid_token', async () => {
  assertInvalidToken(await getProcess(process1.id, await forge({ ...validClaims(), aud: 'https://other.example/api' })));
  // Nor one addressed to the authorization server itself.
  assertInvalidToken(await getProcess(process1.id, await forge({ ...validClaims(), aud: server.url })));
});

test('a token from another issuer: 401 invalid_token', async () => {
  assertInvalidToken(await getProcess(process1.id, await forge({ ...validClaims(), iss: 'https://evil.example' })));
});

test('a token with typ JWT instead of at+jwt: 401 invalid_token', async () => {
  assertInvalidToken(await getProcess(process1.id, await forge(validClaims(), { typ: 'JWT' })));
  assertInvalidToken(await getProcess(process1.id, await forge(validClaims(), { typ: undefined })));
});

test('a token missing a required claim: 401 invalid_token', async () => {
  const claims = validClaims();
  delete claims.ws;
  assertInvalidToken(await getProcess(process1.id, await forge(claims)));
});

test('garbage tokens: 401 invalid_token', async () => {
  for (const garbage of ['garbage', 'a.b.c', `${token}x`, token.split('.').slice(0, 2).join('.')]) {
    assertInvalidToken(await getProcess(process1.id, garbage));
  }
  const notBearer = await fetchJson(`${server.url}/api/v1/processes/${process1.id}`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
  assertInvalidToken(notBearer);
});

test('the Authorization header is checked as RFC 6750 says, for a token seen before too', async () => {
  const withHeader = (authorization: string) => fetchJson(`${server.url}/api/v1/processes/${process1.id}`, { headers: { authorization } });
  assert.equal((await withHeader(`Bearer ${token}`)).status, 200);
  // The scheme is case-insensitive, and spaces may pad the token.
  assert.equal((await withHeader(`bearer ${token}`)).status, 200);
  assert.equal((await withHeader(`Bearer   ${token}  `)).status, 200);
  for (const header of [`Bearer ${token}!`, `Bearer ${token} extra`, 'Bearer ', 'Bearer', `Token ${token}`, `Bearer${token}`]) {
    assertInvalidToken(await withHeader(header));
  }
});

test('no Authorization header: 401 with a bare Bearer challenge', async () => {
  const response = await getProcess(process1.id);
  assertApiError(response, 401, 'missing_token');
  const challenge = response.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer /);
  // RFC 6750 §3.1: no error code when the request had no credentials.
  assert.ok(!challenge.includes('error='), challenge);
});

test('a token only in the query string is never accepted: 401', async () => {
  const response = await apiRequest(server, `/api/v1/processes/${process1.id}?access_token=${encodeURIComponent(token)}`);
  assertApiError(response, 401, 'missing_token');
  assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
  const list = await apiRequest(server, `/api/v1/processes?access_token=${encodeURIComponent(token)}`);
  assert.equal(list.status, 401);
});

test('a token in a form body is not accepted either: 401', async () => {
  const response = await fetchJson(`${server.url}/api/v1/processes`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: token, name: 'x' }),
  });
  assert.equal(response.status, 401, response.text);
});

test('a process in another workspace: 404 not_found, not 403', async () => {
  const { email } = await createUser(server);
  const theirs = await createProcess(server, email, 'Someone else\'s');
  const response = await getProcess(theirs.id, token);
  assertApiError(response, 404, 'not_found');
  // The owner's own token does see it.
  const theirClient = await createClient(server, email);
  assert.equal((await getProcess(theirs.id, await clientCredentialsToken(server, theirClient))).status, 200);
  // And it is absent from the list.
  const list = await apiRequest(server, '/api/v1/processes?limit=100', token);
  assert.ok(!(list.body.data as { id: string }[]).some((p) => p.id === theirs.id));
});

test('a forged token naming another workspace still only sees that workspace (ws comes from the signed token)', async () => {
  const { email } = await createUser(server);
  const theirs = await createProcess(server, email, 'Private');
  // Without the key, a client cannot move its token to another workspace.
  const [header, payload] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const other = await createClient(server, email);
  assert.notEqual(other.workspace_id, client.workspace_id);
  const tampered = `${header}.${encodePart({ ...claims, ws: other.workspace_id })}.${token.split('.')[2]}`;
  assertInvalidToken(await getProcess(theirs.id, tampered));
});

test('unknown route: 404 JSON with request_id', async () => {
  const response = await apiRequest(server, '/api/v1/no-such-thing', token);
  assertApiError(response, 404, 'not_found');
  const outside = await fetchJson(`${server.url}/definitely/not/here`);
  assertApiError(outside, 404, 'not_found');
});

test('every response carries its own x-request-id', async () => {
  const a = await getProcess(process1.id, token);
  const b = await getProcess(process1.id, token);
  const idA = a.headers.get('x-request-id');
  const idB = b.headers.get('x-request-id');
  assert.ok(idA && idB);
  assert.notEqual(idA, idB);
  // A client cannot choose it.
  const chosen = await fetchJson(`${server.url}/api/v1/processes/${process1.id}`, { headers: { 'x-request-id': 'chosen-by-client' } });
  assert.notEqual(chosen.headers.get('x-request-id'), 'chosen-by-client');
  assert.equal(chosen.body.request_id, chosen.headers.get('x-request-id'));
});
