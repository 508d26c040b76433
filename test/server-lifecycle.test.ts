// A server process's start and stop, as an operator meets them: a database it
// cannot write or reach stops the start in one line, within seconds; SIGTERM
// through `npm start` stops the server itself (no orphan), within its
// deadline even with a request stuck; half-sent requests (slowloris) do not
// hold connections; /healthz and /readyz answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, ROOT, freePort, startServer } from './support/server.ts';

/** Whether process `pid` still runs. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `gatehouse serve` until it exits or `ms` pass; its exit code, output and duration. */
function serveUntilExit(env: Record<string, string>, ms: number, ids: { uid?: number; gid?: number } = {}) {
  return new Promise<{ code: number | null; output: string; elapsed: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe', ...ids });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, elapsed: Date.now() - started });
    });
  });
}

test('a SQLite file the server cannot write stops the start with one line, instead of starting "healthy"', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ro-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}`, PORT: String(await freePort()) };
  execFileSync(process.execPath, [CLI, 'migrate'], { env: { ...process.env, ...env } });
  chmodSync(dir, 0o777);
  // Permissions do not bind root: as root, the server runs as nobody.
  let ids = {};
  if (process.getuid?.() === 0) {
    ids = { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) };
    chownSync(join(dir, 'gatehouse.db'), (ids as { uid: number }).uid, (ids as { gid: number }).gid);
  }
  chmodSync(join(dir, 'gatehouse.db'), 0o444);
  const { code, output, elapsed } = await serveUntilExit(env, 20_000, ids);
  assert.equal(code, 1, output);
  assert.match(output, /^gatehouse serve: .*(cannot be written|readonly)/m);
  assert.equal(output.trim().split('\n').length, 1, `one line: ${output}`);
  assert.ok(elapsed < 10_000);
});

test('a PostgreSQL that accepts connections and never answers stops the start within the database timeout, in one line', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as { port: number }).port;
  const { code, output, elapsed } = await serveUntilExit({ DATABASE_URL: `postgres://gatehouse@127.0.0.1:${port}/gatehouse`, GATEHOUSE_DATABASE_TIMEOUT_SECONDS: '1', PORT: String(await freePort()) }, 30_000);
  assert.equal(code, 1, output);
  assert.match(output, /^gatehouse serve: cannot start on the postgres database: .*timeout/m);
  assert.ok(elapsed < 8_000, `gave up after ${elapsed} ms`);
});

test('SIGTERM to `npm start` stops the server itself, gracefully, and leaves no orphan', async (t) => {
  const server = await startServer({ viaNpm: true });
  const pid = Number(/"pid":(\d+)/.exec(server.log())![1]);
  t.after(async () => {
    // An orphan (the bug this test is about) would hold the test open: it goes first.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
    await server.stop();
  });
  const parentOf = (child: number) => Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(child)]).toString().trim());
  const argsOf = (process: number) => execFileSync('ps', ['-o', 'args=', '-p', String(process)]).toString();
  // npm, or the shell npm runs the script in: the signal goes to npm only, as `docker stop` sends it to PID 1.
  let wrapper = parentOf(pid);
  if (!/npm/.test(argsOf(wrapper))) wrapper = parentOf(wrapper);
  assert.match(argsOf(wrapper), /npm/);
  process.kill(wrapper, 'SIGTERM');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  assert.equal(isAlive(pid), false, 'the server process is gone within 5 s');
  assert.match(server.log(), /"msg":"shutting down"/);
  assert.match(server.log(), /"msg":"stopped"/);
});

test('SIGTERM with a request stuck mid-body: the server still exits within its deadline', async (t) => {
  const server = await startServer({ env: { GATEHOUSE_SHUTDOWN_SECONDS: '1' } });
  t.after(() => server.stop());
  const socket = connect(server.port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('error', () => {});
  socket.write('POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=');
  await sleep(200);
  const pid = Number(/"pid":(\d+)/.exec(server.log())![1]);
  const started = Date.now();
  process.kill(pid, 'SIGTERM');
  while (isAlive(pid) && Date.now() - started < 10_000) await sleep(100);
  assert.equal(isAlive(pid), false);
  assert.ok(Date.now() - started < 4_000, `exited ${Date.now() - started} ms after SIGTERM`);
  socket.destroy();
});

test('200 connections sending half a request are closed after the headers timeout; others are served meanwhile', async (t) => {
  const server = await startServer({ env: { GATEHOUSE_HEADERS_TIMEOUT_SECONDS: '1', GATEHOUSE_REQUEST_TIMEOUT_SECONDS: '2' } });
  t.after(() => server.stop());
  const sockets = await Promise.all(Array.from({ length: 200 }, () => new Promise<Socket>((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      resolve(socket);
    });
    socket.once('error', reject);
  })));
  const closed = sockets.map((socket) => new Promise<number>((resolve) => {
    socket.on('error', () => {});
    // Read (the 408), so that the server's close is seen.
    socket.resume();
    socket.once('close', () => resolve(Date.now()));
  }));
  const started = Date.now();
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200, 'a normal request is answered while they hang');
  assert.deepEqual(await health.json(), { status: 'ok' });
  const times = await Promise.race([Promise.all(closed), sleep(8_000).then(() => null)]);
  assert.ok(times, 'every half-sent request was cut');
  assert.ok(Math.max(...times) - started < 5_000, `within ${Math.max(...times) - started} ms`);
});

test('/readyz: ready when the database answers and is migrated', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const response = await fetch(`${server.url}/readyz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ready' });
  assert.equal(response.headers.get('cache-control'), 'no-store');
});

test('a port already in use stops the start with one line, and the process exits', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-port-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = (taken.address() as { port: number }).port;
  const { code, output, elapsed } = await serveUntilExit({ DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}`, PORT: String(port) }, 20_000);
  assert.equal(code, 1, output);
  assert.match(output, /^gatehouse serve: listen EADDRINUSE/m);
  assert.ok(elapsed < 10_000, `exited after ${elapsed} ms`);
});
