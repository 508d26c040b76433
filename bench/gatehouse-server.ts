// A Gatehouse server for the benchmarks: started from a checkout (this one by
// default) on a fresh SQLite file, set up with its own CLI, checked, and its
// scenarios: client credentials, the authenticated GET, introspection and
// the refresh-token grant.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE, ROOT, run, spawnPinned, waitUntilUp, freePort } from './lib.ts';
import {
  BenchError, checkRefresh, CONNECTIONS, expectEs256Jwt, expectJson, fixedRequest, FORM, introspection, log, post, refreshChains, SERVER_CPU, type ScenarioPlan,
} from './measure.ts';

export type GatehouseScenario = 'gatehouseToken' | 'gatehouseGet' | 'gatehouseIntrospect' | 'gatehouseRefresh';

/** The operator CLI of the checkout at `root`, wherever its package.json's "bin" says it is. */
function cliOf(root: string): string {
  return join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: { gatehouse: string } }).bin.gatehouse);
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

  return [
    { key: 'gatehouseToken', label: `${label.padEnd(13)} POST /oauth/token (client_credentials)`, server, generator: fixedRequest({ url: tokenUrl, method: 'POST', headers: FORM, body }) },
    { key: 'gatehouseGet', label: `${label.padEnd(13)} GET /api/v1/processes/{id} (Bearer)`, server, generator: fixedRequest({ url: processUrl, headers: auth }) },
    { key: 'gatehouseIntrospect', label: `${label.padEnd(13)} POST /oauth/introspect (access token)`, server, generator: introspection('Gatehouse', introspectUrl, mintForIntrospection) },
    {
      key: 'gatehouseRefresh', label: `${label.padEnd(13)} POST /oauth/token (refresh_token, rotating)`, server,
      generator: refreshChains('Gatehouse refresh', { url: tokenUrl, clientId: script.client_id, clientSecret: script.client_secret }, seed),
    },
  ];
}
