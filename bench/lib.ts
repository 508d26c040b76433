// Shared helpers for the benchmark: pinned child processes that are always
// cleaned up, free ports, readiness polling, and table formatting.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../scripts/free-port.ts';
export { freePort };
import { cpus } from 'node:os';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const NODE = process.execPath;

/** True when `taskset` is available to pin processes to one core. */
export const HAS_TASKSET: boolean = (() => {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
})();

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stdout only. */
  stdout(): string;
  /** Settles when the child has exited and its output is all read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const children = new Set<Child>();

/**
 * Spawns `command args…` in its own process group, pinned to `cpu` with
 * taskset when available. Its output is kept (and drained, so the pipe never
 * blocks it).
 */
export function spawnPinned(name: string, cpu: number, command: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Child {
  const [file, argv] = HAS_TASKSET ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let stdout = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    // Keep only the tail of very chatty children.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    keep(chunk);
    stdout += chunk.toString();
    if (stdout.length > 200_000) stdout = stdout.slice(-100_000);
  });
  child.stderr?.on('data', keep);
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once('close', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      output += `\n[${name}: ${error.message}]`;
      done({ code: null, signal: null });
    });
  });
  const entry: Child = {
    closed,
    name,
    process: child,
    output: () => output,
    stdout: () => stdout,
    stop: () => stopChild(entry),
  };
  children.add(entry);
  child.once('exit', () => children.delete(entry));
  return entry;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to the child's process group, SIGKILL after 3 s if it is still there. */
async function stopChild(entry: Child): Promise<void> {
  const child = entry.process;
  if (alive(child) && child.pid !== undefined) {
    const exited = entry.closed.then(() => undefined);
    killGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(true), 3_000)));
    if (await Promise.race([exited.then(() => false), timedOut])) {
      killGroup(child, 'SIGKILL');
      await exited;
    }
    clearTimeout(timer);
  }
  // Whatever else the child may have left in its group.
  killGroup(child, 'SIGKILL');
  children.delete(entry);
}

/** Stops every child this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/** Last resort on a synchronous exit path: SIGKILL every remaining group. */
export function killAllSync(): void {
  for (const entry of children) killGroup(entry.process, 'SIGKILL');
  children.clear();
}


/** Polls `url` until it answers (any status), or fails with the child's output. */
export async function waitUntilUp(child: Child, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(child.process)) {
      throw new Error(`${child.name} exited with ${child.process.exitCode ?? child.process.signalCode} before it was ready:\n${child.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.output()}`);
}

/** Busy and total CPU time of the whole machine so far, in ms (all cores). */
export function machineCpu(): { busy: number; all: number } {
  return cpus().reduce((acc, cpu) => {
    const t = cpu.times;
    acc.busy += t.user + t.nice + t.sys + t.irq;
    acc.all += t.user + t.nice + t.sys + t.irq + t.idle;
    return acc;
  }, { busy: 0, all: 0 });
}

const CLOCK_TICKS: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, ms) a live process has used so far; 0 if it cannot be read. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Runs a command to completion (unpinned; for set-up only). */
export function run(command: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** A plain-text table; the columns in `right` are right-aligned. */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`,
  us: (n: number) => (n < 10 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(1)),
  ratio: (n: number) => `${n.toFixed(2)}×`,
  pct: (n: number) => `${(n * 100).toFixed(1)}%`,
};

// ---- the JWT micro-benchmark's result shape, shared by jwt.ts and run.ts ----

export interface JwtOp {
  name: string;
  usPerOp: number;
  opsPerSec: number;
  ops: number;
}

export interface JwtResults {
  /** CPU time (ms) the micro-benchmark process used in all. */
  cpuMs?: number;
  sign: { jose: JwtOp; crypto: JwtOp; gatehouseIssueNow: JwtOp; gatehouseIssue: JwtOp; gatehouseIssueBatched: JwtOp; joseOverCrypto: number };
  verify: { joseCold: JwtOp; gatehouseMiss: JwtOp; gatehouseHit: JwtOp; joseColdOverHit: number };
}

export function formatJwt(results: JwtResults): string {
  const { sign, verify } = results;
  const row = (op: JwtOp, note: string) => [op.name, fmt.us(op.usPerOp), fmt.int(op.opsPerSec), note];
  return [
    table(['ES256 operation', 'µs/op', 'ops/s', 'note'], [
      row(sign.jose, 'async'),
      row(sign.crypto, `sync; jose is ${fmt.ratio(sign.joseOverCrypto)} slower`),
      row(sign.gatehouseIssueNow, 'sync; node:crypto to DER, r‖s unwrapped (user grants)'),
      row(sign.gatehouseIssue, 'batched per turn (client credentials); a batch of one'),
      row(sign.gatehouseIssueBatched, 'ten in one event-loop turn, signed back to back'),
      row(verify.joseCold, 'full signature check every time'),
      row(verify.gatehouseMiss, 'first sight of each token (jose + cache insert)'),
      row(verify.gatehouseHit, `cache hit; ${fmt.ratio(verify.joseColdOverHit)} faster than jose cold`),
    ], [1, 2]),
    '',
    `sign:   jose SignJWT / node:crypto sign      = ${fmt.ratio(sign.joseOverCrypto)}`,
    `verify: jose jwtVerify cold / cache hit      = ${fmt.ratio(verify.joseColdOverHit)}`,
  ].join('\n');
}
