// The server's log never holds a password, a client secret or a token, in
// whatever part of a request they arrive; it does log one line per request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type TestServer } from './support/server.ts';
import { createClient, createProcess, createUser, uniqueEmail, type ClientFixture } from './support/fixtures.ts';
import { apiRequest, basicAuthorization, fetchJson, tokenRequest, type JsonResponse } from './support/http.ts';

let server: TestServer;

before(async () => {
  // The most verbose level: nothing it writes may hold a secret either.
  server = await startServer({ env: { LOG_LEVEL: 'trace' } });
});

after(() => server?.stop());

/** Waits until the server has logged the request with this id (it logs when the response is done). */
async function loggedRequest(response: JsonResponse): Promise<void> {
  const id = response.headers.get('x-request-id');
  assert.ok(id, 'the response has an x-request-id');
  for (let i = 0; i < 100 && !server.log().includes(id); i++) await sleep(20);
  assert.ok(server.log().includes(id), `request ${id} was logged:\n${server.log()}`);
}

test('a full flow leaves no secret or token in the log', async () => {
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const { email } = await createUser(server, uniqueEmail('logging'), password);
  const client: ClientFixture = await createClient(server, email);
  const secret = client.client_secret!;
  const processId = (await createProcess(server, email, 'Logged process')).id;
  const wrongSecret = `gcs_${randomBytes(32).toString('base64url')}`;
  const responses: JsonResponse[] = [];

  // A token, by both secret methods and as JSON.
  const issued = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret });
  assert.equal(issued.status, 200, issued.text);
  const accessToken = issued.body.access_token as string;
  responses.push(issued);
  const basic = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: { clientId: client.client_id, clientSecret: secret } });
  assert.equal(basic.status, 200, basic.text);
  responses.push(basic);
  const json = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: secret }, { json: true });
  assert.equal(json.status, 200, json.text);
  responses.push(json);

  // The API with that token.
  const read = await apiRequest(server, `/api/v1/processes/${processId}`, accessToken);
  assert.equal(read.status, 200, read.text);
  responses.push(read);
  const created = await apiRequest(server, '/api/v1/processes', accessToken, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'From the API' }),
  });
  assert.equal(created.status, 201, created.text);
  responses.push(created);

  // Failed token requests with a wrong secret, by each method.
  const wrongPost = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: wrongSecret });
  assert.equal(wrongPost.status, 401);
  responses.push(wrongPost);
  const wrongBasic = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: { clientId: client.client_id, clientSecret: wrongSecret } });
  assert.equal(wrongBasic.status, 401);
  responses.push(wrongBasic);
  // A body that fails to parse, holding the secret.
  const malformed = await tokenRequest(server, {}, {
    rawBody: `{"grant_type":"client_credentials","client_id":"${client.client_id}","client_secret":"${wrongSecret}"`,
    contentType: 'application/json',
  });
  assert.equal(malformed.status, 400);
  responses.push(malformed);
  // A repeated parameter, holding the secret.
  const repeated = await tokenRequest(server, {}, {
    rawBody: `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${wrongSecret}&client_secret=${secret}`,
  });
  assert.equal(repeated.status, 400);
  responses.push(repeated);

  // Tokens in the query string: refused, and not logged either.
  const queryToken = await apiRequest(server, `/api/v1/processes/${processId}?access_token=${encodeURIComponent(accessToken)}`);
  assert.equal(queryToken.status, 401);
  responses.push(queryToken);
  const queryOnUnknownRoute = await fetchJson(`${server.url}/no/such/route?access_token=${encodeURIComponent(accessToken)}&client_secret=${secret}`);
  assert.equal(queryOnUnknownRoute.status, 404);
  responses.push(queryOnUnknownRoute);
  const queryOnToken = await fetchJson(`${server.url}/oauth/token?client_secret=${secret}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: wrongSecret }),
  });
  assert.equal(queryOnToken.status, 401);
  responses.push(queryOnToken);
  // A token that fails verification.
  const tampered = await apiRequest(server, `/api/v1/processes/${processId}`, `${accessToken.slice(0, -4)}AAAA`);
  assert.equal(tampered.status, 401);
  responses.push(tampered);

  // A password sent as a JSON number (type confusion), and an admin's reset link.
  const numeric = Number(`9${randomBytes(4).readUInt32BE()}`);
  const confused = await tokenRequest(server, {}, { rawBody: JSON.stringify({ grant_type: 'password', username: email, password: numeric, client_id: client.client_id, client_secret: secret }), contentType: 'application/json' });
  assert.equal(confused.status, 400, confused.text);
  responses.push(confused);
  const reset = await server.cliJson<{ url: string }>('users', 'reset-password', '--email', email);
  const resetToken = new URL(reset.url).searchParams.get('token')!;
  const resetPage = await fetch(reset.url);
  assert.equal(resetPage.status, 200);

  for (const response of responses) await loggedRequest(response);
  const log = server.log();

  // Not vacuous: one line per request, by method and path. Every line is JSON
  // but the plain first-run link (stderr), which is the one secret logged on purpose.
  for (let i = 0; i < 50 && !/^ {4}http\S+\/setup\?token=/m.test(server.log()); i++) await new Promise((r) => setTimeout(r, 20));
  const plain = server.log().split('\n').filter((line) => line !== '' && !line.startsWith('{'));
  assert.deepEqual(plain.map((line) => line.replace(/token=[\w-]+/, 'token=…')), ['No user exists yet. Open this one-time link to create the first admin:', `    ${server.url}/setup?token=…`]);
  const lines = log.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { reqId?: string; req?: { method: string; path: string }; res?: { status: number } });
  const tokenLine = lines.find((l) => l.reqId === issued.headers.get('x-request-id'));
  assert.deepEqual(tokenLine?.req, { method: 'POST', path: '/oauth/token', ip: '127.0.0.1' });
  assert.deepEqual(tokenLine?.res, { status: 200 });
  const queryLine = lines.find((l) => l.reqId === queryToken.headers.get('x-request-id'));
  assert.deepEqual(queryLine?.req, { method: 'GET', path: `/api/v1/processes/${processId}`, ip: '127.0.0.1' });
  assert.deepEqual(queryLine?.res, { status: 401 });

  const forbidden: Record<string, string> = {
    password,
    'client secret': secret,
    'access token': accessToken,
    'access token signature': accessToken.split('.')[2]!,
    'wrong secret': wrongSecret,
    'query token (URL-encoded)': encodeURIComponent(accessToken),
    'Basic credentials': basicAuthorization(client.client_id, secret).slice('Basic '.length),
    'Basic credentials with the wrong secret': basicAuthorization(client.client_id, wrongSecret).slice('Basic '.length),
    'access_token parameter': 'access_token=',
    'password sent as a number': String(numeric),
    'reset token': resetToken,
    'client_secret parameter': 'client_secret',
  };
  for (const [what, value] of Object.entries(forbidden)) {
    assert.ok(!log.includes(value), `the log holds the ${what}`);
  }
});
