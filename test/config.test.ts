// A bad configuration value stops `gatehouse serve` at start-up with one line
// on stderr naming the variable: no stack trace, no server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, run, startServer, type TestServer } from './support/server.ts';

let server: TestServer;

before(async () => {
  // A working server first: the bad values below are the only thing that differs.
  server = await startServer();
});

after(() => server?.stop());

const CASES: [variable: string, value: string][] = [
  ['PORT', 'abc'],
  ['PORT', '70000'],
  ['PORT', '-1'],
  ['DATABASE_URL', 'mysql://x'],
  ['GATEHOUSE_ISSUER', 'not-a-url'],
  ['GATEHOUSE_ISSUER', 'ftp://auth.example.com'],
  ['GATEHOUSE_API_AUDIENCE', 'not-a-url'],
  ['GATEHOUSE_ACCESS_TOKEN_TTL', '5'],
  ['GATEHOUSE_ACCESS_TOKEN_TTL', '1h'],
  ['GATEHOUSE_REFRESH_TOKEN_TTL', '0'],
  ['GATEHOUSE_AUTH_CODE_TTL', '9999'],
  ['GATEHOUSE_REFRESH_GRACE_SECONDS', '61'],
  ['LOG_LEVEL', 'loud'],
];

for (const [variable, value] of CASES) {
  test(`${variable}=${value} stops start-up with one line naming ${variable}`, async () => {
    // Otherwise the server's own valid settings, on a port nothing listens on.
    const env = { ...server.env, PORT: '0', [variable]: value };
    // `timeout` only guards against a server that starts anyway and never exits.
    const result = await run('timeout', ['30', process.execPath, CLI, 'serve'], { env });
    assert.notEqual(result.code, 0, 'the exit code is non-zero');
    assert.notEqual(result.code, 124, `the server started with ${variable}=${value}:\n${result.stdout}`);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(!result.stderr.includes('    at '), `no stack trace:\n${result.stderr}`);
    assert.ok(result.stderr.endsWith('\n'), JSON.stringify(result.stderr));
    const lines = result.stderr.slice(0, -1).split('\n');
    assert.equal(lines.length, 1, `exactly one line:\n${result.stderr}`);
    assert.ok(lines[0]!.includes(variable), `the line names ${variable}: ${lines[0]}`);
    assert.ok(!result.stdout.includes('Gatehouse is listening'), result.stdout);
  });
}

test('the same settings without a bad value do start (control for the cases above)', async () => {
  const env = { ...server.env, PORT: '0' };
  // Stopped with SIGTERM after a few seconds; `timeout` then exits 124.
  const result = await run('timeout', ['5', process.execPath, CLI, 'serve'], { env });
  assert.equal(result.code, 124, result.stderr);
  assert.ok(result.stdout.includes('Gatehouse is listening'), result.stdout + result.stderr);
  // Nothing on stderr but the first-run link (the database is empty).
  assert.match(result.stderr, /^\nNo user exists yet\. Open this one-time link to create the first admin:\n\n {4}http:\/\/localhost:0\/setup\?token=[\w-]+\n\n$/);
});
