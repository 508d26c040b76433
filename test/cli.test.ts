// The operator CLI: exit codes (0 ok, 1 refused, 2 usage), JSON output, and
// a client secret that is shown once and never again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, freshDatabase, run, startServer, type TestServer } from './support/server.ts';
import { createClient, createUser, uniqueEmail } from './support/fixtures.ts';
import { tokenRequest } from './support/http.ts';

let server: TestServer;
let owner: string;

before(async () => {
  server = await startServer();
  owner = (await createUser(server)).email;
});

after(() => server?.stop());

interface CreatedClient {
  client_id: string;
  client_secret: string;
  name: string;
  workspace_id: string;
  grant_types: string[];
  scopes: string[];
}

const USAGE = 'Usage: gatehouse';

test('no command: exit 2 with the usage', async () => {
  const result = await server.cli();
  assert.equal(result.code, 2);
  assert.ok(result.stdout.includes('Usage: gatehouse <command>'), result.stdout);
});

test('--help: exit 0 with the usage', async () => {
  const result = await server.cli('--help');
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes('Usage: gatehouse <command>'), result.stdout);
  assert.ok(result.stdout.includes('clients create'), result.stdout);
});

test('an unknown command: exit 2 with the usage', async () => {
  const result = await server.cli('frobnicate');
  assert.equal(result.code, 2);
  assert.ok(result.stderr.includes('unknown command'), result.stderr);
  assert.ok(result.stderr.includes('frobnicate'), result.stderr);
  assert.ok(result.stderr.includes('Usage: gatehouse <command>'), result.stderr);
  assert.equal(result.stdout, '');

  const unknownSub = await server.cli('clients', 'frobnicate');
  assert.equal(unknownSub.code, 2);
  assert.ok(unknownSub.stderr.includes(USAGE), unknownSub.stderr);
});

test('an unknown flag: exit 2 with the command\'s usage', async () => {
  const result = await server.cli('clients', 'create', '--owner', owner, '--name', 'X', '--colour', 'blue');
  assert.equal(result.code, 2);
  assert.ok(result.stderr.includes('--colour'), result.stderr);
  assert.ok(result.stderr.includes(`${USAGE} clients create`), result.stderr);
  assert.ok(!result.stderr.includes('    at '), result.stderr);
  assert.equal(result.stdout, '');
  // And nothing was created.
  const clients = await server.cliJson<CreatedClient[]>('clients', 'list');
  assert.ok(!clients.some((c) => c.name === 'X'));
});

test('a missing required flag: exit 2', async () => {
  const noOwner = await server.cli('clients', 'create', '--name', 'No owner');
  assert.equal(noOwner.code, 2);
  assert.ok(noOwner.stderr.includes('--owner'), noOwner.stderr);
  assert.ok(noOwner.stderr.includes(`${USAGE} clients create`), noOwner.stderr);

  const noPassword = await server.cli('users', 'create', '--email', uniqueEmail());
  assert.equal(noPassword.code, 2);
  assert.ok(noPassword.stderr.includes('--password'), noPassword.stderr);

  const noName = await server.cli('processes', 'create', '--owner', owner);
  assert.equal(noName.code, 2);
  assert.ok(noName.stderr.includes('--name'), noName.stderr);

  const noId = await server.cli('clients', 'show');
  assert.equal(noId.code, 2);
});

test('clients create --json prints the id and a 256-bit secret', async () => {
  const result = await server.cli('clients', 'create', '--owner', owner, '--name', 'Ledger sync', '--json');
  assert.equal(result.code, 0, result.stderr);
  const client = JSON.parse(result.stdout) as CreatedClient;
  // Letters and digits only (an id starting with "-" once broke `clients show ID`), about 134 bits.
  assert.match(client.client_id, /^[a-z0-9]{26}$/);
  assert.equal(client.name, 'Ledger sync');
  assert.match(client.client_secret, /^gcs_[A-Za-z0-9_-]+$/);
  const random = client.client_secret.slice('gcs_'.length);
  assert.ok(random.length >= 43, `${random.length} base64url characters`);
  assert.ok(Buffer.from(random, 'base64url').length >= 32, 'at least 256 bits');
  assert.deepEqual(client.grant_types, ['client_credentials']);

  // The secret works.
  const token = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret });
  assert.equal(token.status, 200, token.text);

  // Two clients never share a secret or an id.
  const other = await server.cliJson<CreatedClient>('clients', 'create', '--owner', owner, '--name', 'Ledger sync');
  assert.notEqual(other.client_id, client.client_id);
  assert.notEqual(other.client_secret, client.client_secret);
});

test('clients show and list never print the secret (nor its hash)', async () => {
  const client = (await createClient(server, owner)) as CreatedClient;
  const secret = client.client_secret;
  const hash = createHash('sha256').update(secret).digest('base64url');
  const secretPart = secret.slice('gcs_'.length);

  const outputs = await Promise.all([
    server.cli('clients', 'show', client.client_id),
    server.cli('clients', 'show', client.client_id, '--json'),
    server.cli('clients', 'list'),
    server.cli('clients', 'list', '--json'),
  ]);
  for (const result of outputs) {
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(client.client_id), 'the client is shown');
    for (const text of [result.stdout, result.stderr]) {
      assert.ok(!text.includes(secretPart), 'the secret is not printed');
      assert.ok(!text.includes(hash), 'the secret hash is not printed');
      assert.ok(!/secret_hash|secretHash/.test(text), 'no hash field');
    }
  }
  const shown = JSON.parse(outputs[1]!.stdout) as Record<string, unknown>;
  assert.equal(shown.client_id, client.client_id);
  assert.ok(!('client_secret' in shown));
  const listed = JSON.parse(outputs[3]!.stdout) as Record<string, unknown>[];
  assert.ok(listed.some((c) => c.client_id === client.client_id));
  assert.ok(listed.every((c) => !('client_secret' in c)));
});

test('clients show for an unknown id: exit 1', async () => {
  const result = await server.cli('clients', 'show', 'no-such-client');
  assert.equal(result.code, 1);
  assert.ok(result.stderr.includes('no-such-client'), result.stderr);
  assert.ok(!result.stderr.includes('    at '), result.stderr);
});

test('clients delete: show then exits 1, and the client can no longer get tokens', async () => {
  const client = (await createClient(server, owner)) as CreatedClient;
  const deleted = await server.cliJson<{ client_id: string; deleted: boolean }>('clients', 'delete', client.client_id);
  assert.deepEqual(deleted, { client_id: client.client_id, deleted: true });

  const shown = await server.cli('clients', 'show', client.client_id);
  assert.equal(shown.code, 1);
  assert.equal(shown.stdout, '');
  const again = await server.cli('clients', 'delete', client.client_id);
  assert.equal(again.code, 1);
  const listed = await server.cliJson<CreatedClient[]>('clients', 'list');
  assert.ok(!listed.some((c) => c.client_id === client.client_id));

  const token = await tokenRequest(server, { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret });
  assert.equal(token.status, 401);
  assert.equal(token.body.error, 'invalid_client');
});

test('users create with an email that exists: exit 1', async () => {
  const email = uniqueEmail('dup');
  await createUser(server, email);
  const result = await server.cli('users', 'create', '--email', email, '--password', 'another password');
  assert.equal(result.code, 1);
  assert.ok(result.stderr.includes(email), result.stderr);
  assert.ok(!result.stderr.includes('    at '), result.stderr);
  // Emails are compared without case.
  const upper = await server.cli('users', 'create', '--email', email.toUpperCase(), '--password', 'another password');
  assert.equal(upper.code, 1, upper.stdout);
  const users = await server.cliJson<{ email: string }[]>('users', 'list');
  assert.equal(users.filter((u) => u.email === email).length, 1);
});

test('users create with a short password or a bad email: exit 1', async () => {
  assert.equal((await server.cli('users', 'create', '--email', uniqueEmail(), '--password', 'short')).code, 1);
  assert.equal((await server.cli('users', 'create', '--email', 'not-an-email', '--password', 'long enough password')).code, 1);
});

test('users create --json never prints the password', async () => {
  const password = 'a password nobody else uses';
  const result = await server.cli('users', 'create', '--email', uniqueEmail(), '--password', password, '--json');
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!result.stdout.includes(password));
  assert.ok(!result.stdout.includes('argon2'), 'nor its hash');
  const user = JSON.parse(result.stdout) as { id: string; email: string; admin: boolean };
  assert.equal(user.admin, false);
  assert.match(user.id, /^u-[a-z0-9]+$/);
});

test('migrate --json: nothing to apply on a migrated database', async () => {
  const result = await server.cliJson<{ applied: string[] }>('migrate');
  assert.deepEqual(result, { applied: [] });
});

test('migrate --json on an empty database applies every migration, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-migrate-'));
  const database = await freshDatabase(dir);
  try {
    const env = { ...server.env, DATABASE_URL: database.url };
    const first = await run(process.execPath, [CLI, 'migrate', '--json'], { env });
    assert.equal(first.code, 0, first.stderr);
    const applied = (JSON.parse(first.stdout) as { applied: string[] }).applied;
    assert.ok(applied.length >= 1);
    assert.equal(applied[0], '001_initial');
    assert.deepEqual([...applied].sort(), applied, 'in order');
    const second = await run(process.execPath, [CLI, 'migrate', '--json'], { env });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { applied: [] });
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('processes create --json gives a p- id', async () => {
  const created = await server.cliJson<Record<string, unknown>>('processes', 'create', '--owner', owner, '--name', 'Accruals', '--description', 'Monthly');
  assert.match(created.id as string, /^p-[a-z0-9]+$/);
  assert.equal(created.name, 'Accruals');
  assert.equal(created.description, 'Monthly');
  assert.equal(created.lastModifiedBy, owner);
  assert.ok(!Number.isNaN(Date.parse(created.dateCreated as string)));
});

test('processes create for an unknown owner: exit 1', async () => {
  const result = await server.cli('processes', 'create', '--owner', 'nobody@example.test', '--name', 'Orphan');
  assert.equal(result.code, 1);
  assert.ok(result.stderr.includes('nobody@example.test'), result.stderr);
});

test('users reset-password prints a one-time link that opens the reset page on the running server; an unknown user is exit 1', async () => {
  const { email } = await createUser(server);
  const issued = await server.cliJson<{ email: string; url: string; expires_at: string; emailed: boolean }>('users', 'reset-password', '--email', email.toUpperCase());
  assert.equal(issued.email, email);
  assert.equal(issued.emailed, false);
  assert.match(issued.url, new RegExp(`^${server.url}/reset-password\\?token=[A-Za-z0-9_-]{43}$`));
  assert.ok(Date.parse(issued.expires_at) > Date.now() + 23 * 3600_000, 'a day by default');
  const page = await fetch(issued.url);
  assert.equal(page.status, 200);
  assert.ok((await page.text()).includes(email));
  const text = await server.cli('users', 'reset-password', '--email', email);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /give it to them through a channel you trust/);
  assert.equal((await fetch(issued.url)).status, 404, 'the newer link replaced it');
  assert.equal((await server.cli('users', 'reset-password', '--email', 'nobody@example.test')).code, 1);
});

test('processes list|show and runs list|show|cancel show what the API shows, across workspaces; an unknown id is exit 1', async () => {
  const { email } = await createUser(server);
  const token = (await server.cliJson<{ token: string }>('tokens', 'create', '--user', email, '--name', 'cli', '--scope', 'process')).token;
  const call = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return response.json() as Promise<Record<string, any>>;
  };
  const process = await call('POST', '/api/v1/processes', { name: 'CLI visible' });
  await call('POST', `/api/v1/processes/${process.id}/steps`, { name: 'Ask', kind: 'approval', config: {} });
  const run = await call('POST', `/api/v1/processes/${process.id}/processruns`, { start: true, data: { month: 11 } });

  const listed = await server.cliJson<Array<{ id: string }>>('processes', 'list');
  assert.ok(listed.some((p) => p.id === process.id));
  const shown = await server.cliJson<{ id: string; steps: Array<{ name: string; kind: string }> }>('processes', 'show', process.id);
  assert.deepEqual(shown.steps.map((s) => `${s.name}:${s.kind}`), ['Ask:approval']);

  let runShown: { status: string; steps: Array<{ status: string }>; data: object } | undefined;
  for (let i = 0; i < 100; i++) {
    runShown = await server.cliJson('runs', 'show', run.id);
    if (runShown!.steps[0]!.status === 'Waiting') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(runShown!.status, 'Running');
  assert.deepEqual(runShown!.data, { month: 11 });
  const runs = await server.cliJson<Array<{ id: string; status: string }>>('runs', 'list', '--process', process.id, '--status', 'Running');
  assert.deepEqual(runs.map((r) => r.id), [run.id]);
  const text = await server.cli('runs', 'show', run.id);
  assert.match(text.stdout, /1\. Ask \(approval\) {2}Waiting/);

  const cancelled = await server.cliJson<{ status: string }>('runs', 'cancel', run.id);
  assert.equal(cancelled.status, 'Cancelled');
  assert.equal((await call('GET', `/api/v1/processruns/${run.id}/runstatus`)).status, 'Cancelled');
  const again = await server.cli('runs', 'cancel', run.id);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already Cancelled/);
  assert.equal((await server.cli('runs', 'show', 'pr-nosuchrun')).code, 1);
  assert.equal((await server.cli('runs', 'list', '--status', 'Done')).code, 2);
});
