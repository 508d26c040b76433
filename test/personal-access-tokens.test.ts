// Personal access tokens: format, the JSON API, the CLI, revocation, and
// disabling a user.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './support/server.ts';
import { clientCredentialsToken, createClient, createProcess, createUser } from './support/fixtures.ts';
import { fetchJson } from './support/http.ts';
import { isWellFormedPat, newPersonalAccessToken } from '../src/pat/token-format.ts';
import { hashSecret } from '../src/security/secrets.ts';
import { KyselyStore } from '../src/store/kysely-store.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.stop());

interface PatJson {
  id: string;
  token: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function cliToken(email: string, ...flags: string[]): Promise<PatJson> {
  return server.cliJson<PatJson>('tokens', 'create', '--user', email, '--name', 'script', ...flags);
}

async function waitForStatus(url: string, token: string, status: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < 40; i++) {
    last = (await fetch(url, { headers: bearer(token) })).status;
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

test('the format has a prefix, 256 random bits and a checksum that catches a changed character', () => {
  const token = newPersonalAccessToken();
  assert.match(token, /^gth_[0-9A-Za-z]{49}$/);
  assert.ok(isWellFormedPat(token));
  const last = token.at(-1) === 'a' ? 'b' : 'a';
  assert.equal(isWellFormedPat(token.slice(0, -1) + last), false);
  const flipped = token.slice(0, 10) + (token[10] === 'x' ? 'y' : 'x') + token.slice(11);
  assert.equal(isWellFormedPat(flipped), false);
  assert.notEqual(newPersonalAccessToken(), token);
});

test('a PAT made with the CLI is a Bearer token on the API, stored only as a hash', async () => {
  const { email } = await createUser(server);
  const process = await createProcess(server, email);
  const pat = await cliToken(email, '--scope', 'process_read', '--expires-in', '30');
  assert.ok(isWellFormedPat(pat.token));
  assert.ok(pat.expires_at && Date.parse(pat.expires_at) > Date.now() + 29 * 86_400_000);

  const read = await fetchJson<{ id: string }>(`${server.url}/api/v1/processes/${process.id}`, { headers: bearer(pat.token) });
  assert.equal(read.status, 200);
  assert.equal(read.body.id, process.id);
  // Its scope is only process_read: writing is refused.
  const write = await fetchJson(`${server.url}/api/v1/processes`, {
    method: 'POST', headers: { ...bearer(pat.token), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x' }),
  });
  assert.equal(write.status, 403);

  const store = KyselyStore.open(server.env.DATABASE_URL!);
  try {
    const record = await store.personalAccessTokens.findById(pat.id);
    assert.equal(record?.tokenHash, hashSecret(pat.token));
    assert.ok(record?.lastUsedAt, 'last used is recorded');
    const everything = JSON.stringify(await store.personalAccessTokens.listForUser(record!.userId));
    assert.ok(!everything.includes(pat.token), 'the token itself is nowhere in the store');
  } finally {
    await store.close();
  }
});

test('the JSON API lists, creates and revokes tokens; revocation is at once', async () => {
  const { email } = await createUser(server);
  const process = await createProcess(server, email);
  const first = await cliToken(email, '--scope', 'process_read', '--scope', 'process');
  const url = `${server.url}/api/v1/users/me/tokens`;

  const created = await fetchJson<PatJson>(url, {
    method: 'POST', headers: { ...bearer(first.token), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'made by API', scopes: ['process_read'], expires_in_days: 90 }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  assert.ok(isWellFormedPat(created.body.token));

  const listed = await fetchJson<{ data: Array<Record<string, unknown>> }>(url, { headers: bearer(first.token) });
  assert.equal(listed.status, 200);
  assert.equal(listed.body.data.length, 2);
  assert.ok(listed.body.data.every((t) => !('token' in t)), 'a list never shows a token');

  const processUrl = `${server.url}/api/v1/processes/${process.id}`;
  assert.equal((await fetch(processUrl, { headers: bearer(created.body.token) })).status, 200);
  const deleted = await fetch(`${url}/${created.body.id}`, { method: 'DELETE', headers: bearer(first.token) });
  assert.equal(deleted.status, 204);
  const refused = await fetch(processUrl, { headers: bearer(created.body.token) });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assert.equal((await fetch(`${url}/${created.body.id}`, { method: 'DELETE', headers: bearer(first.token) })).status, 404);
});

test('a token cannot mint a stronger one, and bad input is a 422', async () => {
  const { email } = await createUser(server);
  const weak = await cliToken(email, '--scope', 'process_read');
  const url = `${server.url}/api/v1/users/me/tokens`;
  const post = (body: unknown) => fetchJson<{ error: string; errors?: unknown[] }>(url, {
    method: 'POST', headers: { ...bearer(weak.token), 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const stronger = await post({ name: 'x', scopes: ['process'] });
  assert.equal(stronger.status, 403);
  assert.equal(stronger.body.error, 'insufficient_scope');
  const invalid = await post({ name: '', scopes: [] });
  assert.equal(invalid.status, 422);
  assert.ok(Array.isArray(invalid.body.errors));
  const unknown = await post({ name: 'x', scopes: ['admin'] });
  assert.equal(unknown.status, 422);
});

test('a client-credentials token has no user: the tokens API refuses it', async () => {
  const { email } = await createUser(server);
  const client = await createClient(server, email);
  const token = await clientCredentialsToken(server, client);
  const response = await fetchJson<{ error: string }>(`${server.url}/api/v1/users/me/tokens`, { headers: bearer(token) });
  assert.equal(response.status, 403);
  assert.equal(response.body.error, 'user_token_required');
});

test('a revoked, unknown or tampered PAT is a 401; revocation by the CLI reaches the running server', async () => {
  const { email } = await createUser(server);
  const process = await createProcess(server, email);
  const url = `${server.url}/api/v1/processes/${process.id}`;
  const pat = await cliToken(email);
  assert.equal((await fetch(url, { headers: bearer(pat.token) })).status, 200);
  assert.equal((await fetch(url, { headers: bearer(newPersonalAccessToken()) })).status, 401);
  assert.equal((await fetch(url, { headers: bearer(pat.token.slice(0, -1) + (pat.token.endsWith('A') ? 'B' : 'A')) })).status, 401);

  const revoked = await server.cli('tokens', 'revoke', pat.id);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(await waitForStatus(url, pat.token, 401), 401);
});

test('disabling a user stops their PATs and their OAuth tokens', async () => {
  const { email, password } = await createUser(server);
  const process = await createProcess(server, email);
  const url = `${server.url}/api/v1/processes/${process.id}`;
  const pat = await cliToken(email);
  // An app someone else registered: it goes on working, but no longer for this user.
  const client = await createClient(server, (await createUser(server)).email, '--grant', 'password');
  const token = await fetchJson<{ access_token: string }>(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password, client_id: client.client_id, client_secret: client.client_secret! }),
  });
  assert.equal(token.status, 200, token.text);
  const jwt = token.body.access_token;
  assert.equal((await fetch(url, { headers: bearer(pat.token) })).status, 200);
  assert.equal((await fetch(url, { headers: bearer(jwt) })).status, 200);

  const disabled = await server.cli('users', 'disable', '--email', email);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.equal(await waitForStatus(url, pat.token, 401), 401);
  assert.equal(await waitForStatus(url, jwt, 401), 401);
  // And the password no longer gets a token.
  const again = await fetchJson<{ error: string }>(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password, client_id: client.client_id, client_secret: client.client_secret! }),
  });
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');

  // Enabled again: old tokens stay dead, new ones work (revocation is by time, not forever).
  assert.equal((await server.cli('users', 'enable', '--email', email)).code, 0);
  await new Promise((r) => setTimeout(r, 1_100));
  const fresh = await cliToken(email);
  assert.equal((await fetch(url, { headers: bearer(fresh.token) })).status, 200);
  assert.equal((await fetch(url, { headers: bearer(pat.token) })).status, 401);
  assert.equal((await fetch(url, { headers: bearer(jwt) })).status, 401);
  const after = await fetchJson<{ access_token: string }>(`${server.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', username: email, password, client_id: client.client_id, client_secret: client.client_secret! }),
  });
  assert.equal(after.status, 200, after.text);
  assert.equal((await fetch(url, { headers: bearer(after.body.access_token) })).status, 200);
});
