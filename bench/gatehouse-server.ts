// A Gatehouse server for the benchmarks: started from a checkout (this one by
// default) on a fresh SQLite file, set up with its own CLI, checked, and its
// scenarios: client credentials, the authenticated GET, introspection and
// the refresh-token grant; and the first two again while the engine executes
// RUNS_PER_SECOND runs of a one-step process in the background.
import { join } from 'node:path';
import { NODE, ROOT, run, spawnPinned, waitUntilUp, freePort } from './lib.ts';
import {
  BenchError, checkRefresh, CONNECTIONS, expectEs256Jwt, expectJson, fixedRequest, FORM, introspection, log, post, refreshChains, SERVER_CPU,
  type Background, type ScenarioPlan,
} from './measure.ts';
import { cliOf, oneStepProcess } from './engine-gatehouse.ts';
import type { RunProducerResult } from './run-producer.ts';

export type GatehouseScenario = 'gatehouseToken' | 'gatehouseGet' | 'gatehouseIntrospect' | 'gatehouseRefresh' | 'gatehouseTokenBusy' | 'gatehouseGetBusy';

export const RUNS_PER_SECOND = 100;

/**
 * RUNS_PER_SECOND runs created and started through the API for as long as
 * the measurement (per CPU: side by side, where the server has half of it,
 * half as many); afterwards every one must have been made, and the engine
 * must have finished them all within a few seconds.
 */
function runsInBackground(base: string, token: string, processId: string): Background {
  const get = async (path: string) => expectJson(await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } }), `Gatehouse GET ${path}`);
  return {
    name: `${RUNS_PER_SECOND} runs/s`,
    script: 'bench/run-producer.ts',
    spec: async (seconds, share) => ({ base, token, processId, perSecond: RUNS_PER_SECOND * share, seconds }),
    after: async (reported) => {
      const result = reported as RunProducerResult;
      if (result.failed > 0 || result.lastRunId === null) throw new BenchError(`the background runs failed: ${JSON.stringify(result)}`);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pending = await Promise.all(['Scheduled', 'Running'].map((status) => get(`/api/v1/processes/${processId}/processruns?status=${status}&limit=1`)));
        if (pending.every((page) => (page.data as unknown[]).length === 0)) break;
        if (Date.now() > deadline) throw new BenchError(`the engine did not keep up with ${RUNS_PER_SECOND} runs/s: runs still pending 10 s after the last was started`);
        await new Promise((done) => setTimeout(done, 100));
      }
      const last = await get(`/api/v1/processruns/${result.lastRunId}`);
      if (last.status !== 'Finished') throw new BenchError(`the last background run ended ${String(last.status)}: ${JSON.stringify(last)}`);
    },
  };
}

export async function prepareGatehouse(dataDir: string, root = ROOT, label = 'Gatehouse'): Promise<ScenarioPlan<GatehouseScenario>[]> {
  const cliPath = cliOf(root);
  log(`${label}: starting and setting up with its CLI…`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    LOG_LEVEL: 'warn',
    // No grace window, as oidc-provider is set up: the sanity check then sees
    // a rotated token refused at once. (A refresh with the current token,
    // which is what is measured, never looks at the window.)
    GATEHOUSE_REFRESH_GRACE_SECONDS: '0',
  };
  const server = spawnPinned(`gatehouse serve (${label})`, SERVER_CPU, NODE, [cliPath, 'serve'], env, root);
  await waitUntilUp(server, `${base}/healthz`);

  const cli = async <T>(...args: string[]): Promise<T> => {
    const result = await run(NODE, [cliPath, ...args, '--json'], env, root);
    if (result.code !== 0) throw new BenchError(`gatehouse ${args.join(' ')} failed (${result.code}): ${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  };
  const owner = 'bench@example.test';
  const password = 'correct horse battery staple';
  await cli('users', 'create', '--email', owner, '--password', password);
  const client = await cli<{ client_id: string; client_secret: string }>('clients', 'create', '--owner', owner, '--name', 'Bench app');
  const created = await cli<{ id: string }>('processes', 'create', '--owner', owner, '--name', 'Month-end close', '--description', 'Reconciles the ledger');

  const tokenUrl = `${base}/oauth/token`;
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString();
  const issued = await expectJson(await fetch(tokenUrl, { method: 'POST', headers: FORM, body }), 'Gatehouse POST /oauth/token');
  expectEs256Jwt(issued.access_token, 'Gatehouse');
  const token = issued.access_token as string;

  const processUrl = `${base}/api/v1/processes/${created.id}`;
  const auth = { authorization: `Bearer ${token}` };
  const fetched = await expectJson(await fetch(processUrl, { headers: auth }), `Gatehouse GET /api/v1/processes/${created.id}`);
  if (fetched.id !== created.id) throw new BenchError(`Gatehouse returned the wrong process: ${JSON.stringify(fetched)}`);

  // Introspection of a client credentials token, by the client it was issued to.
  const introspectUrl = `${base}/oauth/introspect`;
  const mintForIntrospection = async () => {
    const fresh = await expectJson(await fetch(tokenUrl, { method: 'POST', headers: FORM, body }), 'Gatehouse POST /oauth/token');
    return { token: String(fresh.access_token), token_type_hint: 'access_token', client_id: client.client_id, client_secret: client.client_secret };
  };

  // The refresh-token grant: a confidential client with the password grant
  // for the seed tokens, and the same scope as oidc-provider's refresh tokens.
  const script = await cli<{ client_id: string; client_secret: string }>('clients', 'create', '--owner', owner, '--name', 'Bench script',
    '--grant', 'password', '--grant', 'refresh_token', '--scope', 'process_read');
  const scriptCredentials = { client_id: script.client_id, client_secret: script.client_secret };
  // One password grant (a new authorization) per token, one after the other:
  // the sign-in throttle allows 50 per address in 15 minutes, and the bench
  // needs 1 + CONNECTIONS of them (later rounds go on with the same chains).
  if (1 + CONNECTIONS > 50) throw new BenchError(`${CONNECTIONS} connections need ${1 + CONNECTIONS} password grants, over the sign-in throttle's 50 per address`);
  const seed = async (n: number): Promise<string[]> => {
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const pair = await expectJson(
        await post(tokenUrl, { grant_type: 'password', username: owner, password, ...scriptCredentials }),
        'Gatehouse POST /oauth/token (password)',
      );
      if (typeof pair.refresh_token !== 'string') throw new BenchError(`Gatehouse's password grant returned no refresh token: ${JSON.stringify(pair)}`);
      tokens.push(pair.refresh_token);
    }
    return tokens;
  };
  await checkRefresh('Gatehouse', tokenUrl, scriptCredentials, (await seed(1))[0]!);

  // A checkout from before the run engine (bench:ab against an old revision) has no steps: no runs in the background there.
  const busyProcessId = await oneStepProcess(base, token).catch((error: unknown) => {
    log(`  ${label}: no process with a transform step (${(error as Error).message.slice(0, 120)}); the "runs/s" scenarios are left out`);
    return undefined;
  });
  const busy = busyProcessId === undefined ? undefined : runsInBackground(base, token, busyProcessId);

  const plans: ScenarioPlan<GatehouseScenario>[] = [
    { key: 'gatehouseToken', label: `${label.padEnd(13)} POST /oauth/token (client_credentials)`, server, generator: fixedRequest({ url: tokenUrl, method: 'POST', headers: FORM, body }) },
    { key: 'gatehouseGet', label: `${label.padEnd(13)} GET /api/v1/processes/{id} (Bearer)`, server, generator: fixedRequest({ url: processUrl, headers: auth }) },
    { key: 'gatehouseIntrospect', label: `${label.padEnd(13)} POST /oauth/introspect (access token)`, server, generator: introspection('Gatehouse', introspectUrl, mintForIntrospection) },
    {
      key: 'gatehouseRefresh', label: `${label.padEnd(13)} POST /oauth/token (refresh_token, rotating)`, server,
      generator: refreshChains('Gatehouse refresh', { url: tokenUrl, clientId: script.client_id, clientSecret: script.client_secret }, seed),
    },
  ];
  if (!busy) return plans;
  return [
    ...plans,
    {
      key: 'gatehouseTokenBusy', label: `${label.padEnd(13)} POST /oauth/token (client_credentials), ${RUNS_PER_SECOND} runs/s`, server,
      generator: { ...fixedRequest({ url: tokenUrl, method: 'POST', headers: FORM, body }), background: busy },
    },
    {
      key: 'gatehouseGetBusy', label: `${label.padEnd(13)} GET /api/v1/processes/{id} (Bearer), ${RUNS_PER_SECOND} runs/s`, server,
      generator: { ...fixedRequest({ url: processUrl, headers: auth }), background: busy },
    },
  ];
}
