// Starts a real Gatehouse server process for a test, on SQLite by default or
// on PostgreSQL when TEST_DATABASE_URL is set (each server in its own schema).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../scripts/free-port.ts';
export { freePort };
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/gatehouse.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  url: string;
  port: number;
  env: Record<string, string>;
  dataDir: string;
  /** Everything the server wrote to stdout and stderr so far. */
  log(): string;
  /** Runs the operator CLI against this server's database. */
  cli(...args: string[]): Promise<RunResult>;
  /** Runs `gatehouse … --json` and parses its output; throws if it failed. */
  cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  /** Kills the process with `signal` (SIGKILL by default) and waits for it to go; its database stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}


export function run(command: string, args: string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    // A program that exits before reading its input must not crash the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** A database URL for a fresh, empty database: a temp SQLite file or a new PostgreSQL schema. */
export async function freshDatabase(dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { url: `sqlite:${join(dataDir, 'gatehouse.db')}`, drop: async () => {} };
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Start with `npm start`, as the README says, rather than the CLI directly. */
  viaNpm?: boolean;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const database = await freshDatabase(dataDir);
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    DATABASE_URL: database.url,
    ...options.env,
  };
  const child: ChildProcess = options.viaNpm
    ? spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe', detached: true })
    : spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'pipe', detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));

  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 20 s:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes('Gatehouse is listening')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}:\n${output}`));
    });
  });

  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { env });
  return {
    url: `http://localhost:${port}`,
    port,
    env,
    dataDir,
    log: () => output,
    cli,
    async cliJson<T>(...args: string[]): Promise<T> {
      const result = await cli(...args, '--json');
      if (result.code !== 0) throw new Error(`gatehouse ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      process.kill(-child.pid!, signal);
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        // The server runs in its own process group: npm's child goes too.
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
