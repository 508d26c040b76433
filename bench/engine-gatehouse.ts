// Gatehouse as the engine benchmark drives it: a workspace with a one-step
// `transform` process, set up through the CLI and the API; runs created and
// started through the API; and nodes (`gatehouse serve`) that execute them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, NODE, ROOT, run, spawnPinned, waitUntilUp, type Child } from './lib.ts';
import { BenchError, expectJson, FORM } from './measure.ts';

/** The one step of the benchmark's process: a JSONata expression over the run's data. */
export const TRANSFORM_STEP = { name: 'Double', kind: 'transform', config: { expression: 'n * 2', resultKey: 'doubled' } };

/** The operator CLI of the checkout at `root`, wherever its package.json's "bin" says it is. */
export function cliOf(root: string): string {
  return join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { gatehouse: string } }).bin.gatehouse);
}

export interface Workspace {
  token: string;
  processId: string;
}

/** Env of a Gatehouse node on `databaseUrl`. */
export function nodeEnv(databaseUrl: string, port: number, workers: boolean): Record<string, string> {
  // One issuer for every node, so that a token from one is good on all.
  return { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', GATEHOUSE_WORKERS: workers ? 'on' : 'off', GATEHOUSE_ISSUER: 'http://gatehouse.bench' };
}

/** Starts `gatehouse serve`, pinned to `cpu`, and waits until it answers. */
export async function startNode(name: string, cpu: number, databaseUrl: string, workers: boolean, root = ROOT): Promise<{ child: Child; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnPinned(name, cpu, NODE, [cliOf(root), 'serve'], nodeEnv(databaseUrl, port, workers), root);
  await waitUntilUp(child, `${base}/healthz`);
  return { child, base };
}

/** A user, an app and a client-credentials token (scopes process_read and process), through the CLI. */
export async function appToken(base: string, databaseUrl: string, root = ROOT): Promise<string> {
  const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', GATEHOUSE_ISSUER: 'http://gatehouse.bench' };
  const cli = async <T>(...args: string[]): Promise<T> => {
    const result = await run(NODE, [cliOf(root), ...args, '--json'], env, root);
    if (result.code !== 0) throw new BenchError(`gatehouse ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  };
  const owner = `engine-bench-${Date.now()}@example.test`;
  await cli('users', 'create', '--email', owner, '--password', 'correct horse battery staple');
  const client = await cli<{ client_id: string; client_secret: string }>('clients', 'create', '--owner', owner, '--name', 'Engine bench');
  const issued = await expectJson(await fetch(`${base}/oauth/token`, {
    method: 'POST', headers: FORM,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString(),
  }), 'Gatehouse POST /oauth/token');
  return String(issued.access_token);
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new BenchError(`Gatehouse ${method} ${path}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A process with one transform step, through the API. */
export async function oneStepProcess(base: string, token: string): Promise<string> {
  const created = await api(base, token, 'POST', '/api/v1/processes', { name: 'One transform', description: 'The engine benchmark\'s process' });
  const processId = String(created.id);
  await api(base, token, 'POST', `/api/v1/processes/${processId}/steps`, TRANSFORM_STEP);
  return processId;
}

/** Creates and starts `n` runs through the API, `concurrency` at a time; returns their ids. */
export async function startRuns(base: string, workspace: Workspace, n: number, concurrency = 16): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const made = await api(base, workspace.token, 'POST', `/api/v1/processes/${workspace.processId}/processruns`, { data: { n: i }, start: true });
      ids.push(String(made.id));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return ids;
}

/** Checks that a run finished with its step's result in its data. */
export async function expectFinished(base: string, token: string, runId: string): Promise<void> {
  const run = await api(base, token, 'GET', `/api/v1/processruns/${runId}`);
  const data = run.data as { n?: number; doubled?: number } | undefined;
  if (run.status !== 'Finished' || data?.n === undefined || data.doubled !== data.n * 2) {
    throw new BenchError(`run ${runId} did not finish with its result: ${JSON.stringify(run)}`);
  }
}
