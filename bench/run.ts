// `npm run bench`: HTTP throughput of Gatehouse against a bare Fastify route
// (the ceiling) and against oidc-provider's client credentials grant,
// refresh-token grant (rotating) and token introspection (and the first two
// again while the engine executes runs in the background), then the ES256
// JWT micro-benchmark (bench/jwt.ts), then the run engine against
// graphile-worker and pg-boss (bench/engine.ts). Every server runs in its own process pinned
// to CPU 0; each load generator (bench/load.ts, or bench/refresh-load.ts for
// the refresh-token grant, whose every request needs the refresh token the
// previous one returned) runs in another, pinned to CPU 1. What the
// benchmarks share is in measure.ts; Gatehouse's own set-up in gatehouse-server.ts.
// Prints a table and writes bench/results/latest.json.
//
// The machine may be shared, and its speed drifts (seen here: twice as fast
// at one hour as at another, and ±20% from one round to the next). So every
// scenario is measured in several rounds, and each ratio is taken within a
// round, twice: between measurements made alone seconds apart (a pair's order
// alternates between rounds), and side by side, both servers loaded at once
// on the same CPU, so that the drift hits both alike (the same build against
// itself measures within 2% of 1 that way). The bench reports the median over
// rounds of each, and a target counts as met only when both meet it. It also
// reports how much CPU other processes used during each measurement, and
// flags figures taken under load.
//
// 32 connections (BENCH_CONNECTIONS to change it): at 10, the fastest servers
// waited on the network part of the time (introspection: 20.9k req/s at 10,
// 25.9k at 32, 27.7k at 64; oidc-provider the same at 10 and 32).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fmt, formatJwt, freePort, HAS_TASKSET, killAllSync, NODE, ROOT, spawnPinned, stopAll, table, waitUntilUp, type JwtResults,
} from './lib.ts';
import {
  BenchError, checkRefresh, CONNECTIONS, DURATION_SECONDS, expectEs256Jwt, expectJson, fixedRequest, FORM, introspection, LOAD_CPU, log, measure,
  measureTogether, median, OTHER_CPU_LIMIT, post, refreshChains, SERVER_CPU, waitForQuiet, WARMUP_SECONDS, withOtherCpu, type Measurement, type ScenarioPlan,
} from './measure.ts';
import { prepareGatehouse, RUNS_PER_SECOND } from './gatehouse-server.ts';
import { benchEngine } from './engine.ts';
import { parseArgs } from 'node:util';

const ROUNDS = 5;
const STARTED = Date.now();

const TARGETS = {
  /** Gatehouse token issuance / oidc-provider token issuance. */
  tokenVsOidcProvider: 3,
  /** Gatehouse refresh-token grant / oidc-provider refresh-token grant. */
  refreshVsOidcProvider: 3,
  /** Gatehouse introspection / oidc-provider introspection. */
  introspectVsOidcProvider: 3,
  /** Gatehouse authenticated GET / bare Fastify route. */
  authenticatedGetVsBare: 0.5,
};

type ScenarioKey = 'bare' | 'gatehouseToken' | 'gatehouseGet' | 'oidcProviderToken' | 'gatehouseTokenBusy' | 'gatehouseGetBusy'
  | 'gatehouseRefresh' | 'oidcProviderRefresh' | 'oidcProviderSqliteRefresh' | 'gatehouseIntrospect' | 'oidcProviderIntrospect';

/** The order of the table's rows. */
const ROW_ORDER: ScenarioKey[] = [
  'bare', 'gatehouseToken', 'gatehouseTokenBusy', 'gatehouseGet', 'gatehouseGetBusy', 'oidcProviderToken',
  'gatehouseRefresh', 'oidcProviderRefresh', 'oidcProviderSqliteRefresh', 'gatehouseIntrospect', 'oidcProviderIntrospect',
];

/**
 * The order of measurement within a round: each ratio's two sides one right
 * after the other. Pairs swap their order every other round, so that neither
 * side always goes first.
 */
const ROUND_ORDER: ScenarioKey[][] = [
  ['bare', 'gatehouseGet', 'gatehouseGetBusy'],
  ['gatehouseToken', 'oidcProviderToken', 'gatehouseTokenBusy'],
  ['gatehouseIntrospect', 'oidcProviderIntrospect'],
  ['gatehouseRefresh', 'oidcProviderRefresh', 'oidcProviderSqliteRefresh'],
];

/**
 * Each target's two sides, also measured side by side in every round: both
 * servers loaded at once (they share SERVER_CPU, their load generators
 * LOAD_CPU), so the machine's drift from one second to the next hits
 * both alike. Once both are saturated, each gets half the CPU, and the ratio
 * of their rates is the inverse ratio of their CPU cost per request.
 */
const SIDE_BY_SIDE = [
  ['gatehouseGet', 'bare'],
  ['gatehouseToken', 'oidcProviderToken'],
  ['gatehouseIntrospect', 'oidcProviderIntrospect'],
  ['gatehouseRefresh', 'oidcProviderRefresh'],
  ['gatehouseGetBusy', 'bare'],
  ['gatehouseTokenBusy', 'oidcProviderToken'],
] as const satisfies readonly (readonly [ScenarioKey, ScenarioKey])[];
type SidePair = (typeof SIDE_BY_SIDE)[number];
const pairKey = ([top, bottom]: readonly [ScenarioKey, ScenarioKey]) => `${top}/${bottom}`;

/** A side-by-side measurement of a pair. */
interface SideBySide {
  top: Measurement;
  bottom: Measurement;
}

interface Scenario {
  key: ScenarioKey;
  label: string;
  /** One per round. */
  rounds: Measurement[];
  /** The round with the median throughput. */
  median: Measurement;
}

async function prepareBare(): Promise<ScenarioPlan<ScenarioKey>[]> {
  log('bare Fastify: starting…');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = spawnPinned('fastify hello-world', SERVER_CPU, NODE, [join(ROOT, 'bench/servers/fastify-hello.ts')], { PORT: String(port) });
  await waitUntilUp(server, url);
  const body = await expectJson(await fetch(url), 'GET / on bare Fastify');
  if (body.hello !== 'world') throw new BenchError(`bare Fastify answered ${JSON.stringify(body)}`);
  return [{ key: 'bare', label: 'bare Fastify  GET /', server, generator: fixedRequest({ url }) }];
}

/**
 * oidc-provider as it ships (everything in process memory) or, with
 * `sqlitePath`, on a durable node:sqlite adapter like Gatehouse's store; the
 * durable one is measured on the refresh grant only, the one scenario that
 * writes.
 */
async function prepareOidcProvider(sqlitePath?: string): Promise<ScenarioPlan<ScenarioKey>[]> {
  log(`oidc-provider${sqlitePath ? ' (SQLite adapter)' : ''}: starting…`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const sidePort = await freePort();
  const clientId = 'bench-client';
  const clientSecret = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
  const userClient = { client_id: 'bench-user-client', client_secret: 'bench-user-secret-0123456789abcdefghijklmnopqrstuvwxyz' };
  const server = spawnPinned('oidc-provider', SERVER_CPU, NODE, [join(ROOT, 'bench/servers/oidc-provider.ts')], {
    PORT: String(port), BENCH_CLIENT_ID: clientId, BENCH_CLIENT_SECRET: clientSecret,
    BENCH_USER_CLIENT_ID: userClient.client_id, BENCH_USER_CLIENT_SECRET: userClient.client_secret, BENCH_SIDE_PORT: String(sidePort),
    ...(sqlitePath ? { BENCH_SQLITE: sqlitePath } : {}),
  });
  await waitUntilUp(server, `${base}/.well-known/openid-configuration`);
  const metadata = await expectJson(await fetch(`${base}/.well-known/openid-configuration`), 'oidc-provider discovery');
  const tokenUrl = String(metadata.token_endpoint);
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString();
  const issued = await expectJson(await fetch(tokenUrl, { method: 'POST', headers: FORM, body }), `oidc-provider POST ${tokenUrl}`);
  const header = expectEs256Jwt(issued.access_token, 'oidc-provider');
  log(`  oidc-provider issues JWT access tokens: ${JSON.stringify(header)}`);
  const path = new URL(tokenUrl).pathname;

  // oidc-provider refuses to introspect JWTs ("Structured JWT Tokens cannot
  // be introspected"), so the client credentials token introspected here is
  // an opaque one, for a resource server configured for opaque tokens.
  const introspectUrl = String(metadata.introspection_endpoint);
  const mintForIntrospection = async () => {
    const opaque = await expectJson(await post(tokenUrl, {
      grant_type: 'client_credentials', scope: 'process_read', resource: `${base}/opaque-api`, client_id: clientId, client_secret: clientSecret,
    }), `oidc-provider POST ${tokenUrl} (client_credentials, opaque)`);
    if (typeof opaque.access_token !== 'string') throw new BenchError(`oidc-provider returned no access token: ${JSON.stringify(opaque)}`);
    return { token: opaque.access_token, token_type_hint: 'access_token', client_id: clientId, client_secret: clientSecret };
  };

  // Refresh tokens of user grants, minted by the server's own models (see
  // bench/servers/oidc-provider.ts), each on a grant of its own.
  const seed = async (n: number): Promise<string[]> => {
    const minted = await expectJson(await fetch(`http://127.0.0.1:${sidePort}/bench/refresh-tokens?n=${n}`), 'oidc-provider GET /bench/refresh-tokens');
    return minted.refresh_tokens as string[];
  };
  const refreshHeader = await checkRefresh('oidc-provider', tokenUrl, userClient, (await seed(1))[0]!);
  log(`  oidc-provider's refresh-token grant issues JWT access tokens: ${JSON.stringify(refreshHeader)}`);

  if (sqlitePath) {
    return [{
      key: 'oidcProviderSqliteRefresh', label: `oidc-provider POST ${path} (refresh_token, rotating, SQLite adapter)`, server,
      generator: refreshChains('oidc-provider (SQLite) refresh', { url: tokenUrl, clientId: userClient.client_id, clientSecret: userClient.client_secret }, seed, true),
    }];
  }
  return [
    { key: 'oidcProviderToken', label: `oidc-provider POST ${path} (client_credentials)`, server, generator: fixedRequest({ url: tokenUrl, method: 'POST', headers: FORM, body }) },
    {
      key: 'oidcProviderIntrospect', label: `oidc-provider POST ${new URL(introspectUrl).pathname} (access token)`, server,
      generator: introspection('oidc-provider', introspectUrl, mintForIntrospection),
    },
    {
      key: 'oidcProviderRefresh', label: `oidc-provider POST ${path} (refresh_token, rotating)`, server,
      // New chains (new grants) every time: its in-memory adapter slows down as a
      // grant's chain grows (every token of a grant is listed on the grant and
      // walked at each save), which would flatter Gatehouse in later rounds.
      generator: refreshChains('oidc-provider refresh', { url: tokenUrl, clientId: userClient.client_id, clientSecret: userClient.client_secret }, seed, true),
    },
  ];
}

/**
 * Every scenario, ROUNDS times, in ROUND_ORDER (pairs swap their order every
 * other round), each alone; then, in the same round, each SIDE_BY_SIDE pair at once.
 */
async function measureInRounds(plans: ScenarioPlan<ScenarioKey>[]): Promise<{ alone: Map<ScenarioKey, Measurement[]>; side: Map<string, SideBySide[]> }> {
  const servers = [...new Set(plans.map((p) => p.server))];
  const byKey = new Map(plans.map((p) => [p.key, p]));
  const alone = new Map<ScenarioKey, Measurement[]>(plans.map((p) => [p.key, []]));
  const side = new Map<string, SideBySide[]>(SIDE_BY_SIDE.map((pair) => [pairKey(pair), []]));
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1} of ${ROUNDS}:`);
    for (const pair of ROUND_ORDER) {
      for (const key of round % 2 === 0 ? pair : [...pair].reverse()) {
        alone.get(key)!.push(await measure(byKey.get(key)!, servers));
      }
    }
    for (const pair of SIDE_BY_SIDE) {
      const [top, bottom] = await measureTogether([byKey.get(pair[0])!, byKey.get(pair[1])!], servers);
      side.get(pairKey(pair))!.push({ top: top!, bottom: bottom! });
    }
  }
  return { alone, side };
}

async function benchJwt(): Promise<{ jwt: JwtResults; otherCpu: number }> {
  await waitForQuiet();
  log('ES256 JWT micro-benchmark (bench/jwt.ts)…');
  const { value: jwt, otherCpu } = await withOtherCpu(async () => {
    const child = spawnPinned('bench/jwt.ts', SERVER_CPU, NODE, [join(ROOT, 'bench/jwt.ts'), '--json']);
    const { code, signal } = await child.closed;
    if (code !== 0) throw new BenchError(`bench/jwt.ts failed (${code ?? signal}):\n${child.output()}`);
    const parsed = JSON.parse(child.stdout().trim().split('\n').at(-1) ?? '') as JwtResults;
    return { value: parsed, childCpuMs: parsed.cpuMs ?? 0 };
  });
  return { jwt, otherCpu };
}

/** `npm run bench -- --only http` (the HTTP targets and the JWT micro-benchmark) or `--only engine`. */
const ONLY = parseArgs({ options: { only: { type: 'string' } } }).values.only;
if (ONLY !== undefined && ONLY !== 'http' && ONLY !== 'engine') {
  log('usage: npm run bench [-- --only http|engine]');
  process.exit(2);
}

function writeResults(name: string, results: object): void {
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, name);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`Wrote ${file} (${((Date.now() - STARTED) / 1000).toFixed(1)} s in all).`);
}

let dataDir: string | undefined;
function removeDataDir(): void {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

async function main(): Promise<number> {
  const started = STARTED;
  const pinning = HAS_TASKSET
    ? `servers pinned to CPU ${SERVER_CPU}, the load generators to CPU ${LOAD_CPU} (taskset)`
    : 'UNPINNED: taskset is not available, servers and load generators share the CPUs (figures are less stable)';
  if (!HAS_TASKSET) log('WARNING: taskset not found; running unpinned.');
  if (availableParallelism() < 2) log(`WARNING: only ${availableParallelism()} CPU available; the load generator competes with the server.`);

  dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  try {
    if (ONLY === 'engine') {
      const { results, text } = await benchEngine(dataDir);
      process.stdout.write(`\n${text}\n`);
      writeResults('engine.json', { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), engine: results });
      return 0;
    }
    const plans = [
      ...await prepareBare(), ...await prepareGatehouse(dataDir), ...await prepareOidcProvider(), ...await prepareOidcProvider(join(dataDir, 'oidc-provider.db')),
    ];
    const { alone: measured, side } = await measureInRounds(plans);
    const scenarios: Scenario[] = ROW_ORDER.map((key) => {
      const rounds = measured.get(key)!;
      const middle = median(rounds.map((m) => m.result.requestsPerSec));
      return { key, label: plans.find((p) => p.key === key)!.label, rounds, median: rounds.find((m) => m.result.requestsPerSec === middle) ?? rounds[0]! };
    });
    await stopAll();
    const { jwt, otherCpu: jwtOtherCpu } = await benchJwt();
    const engine = ONLY === 'http' ? undefined : await benchEngine(dataDir);

    const by = (key: ScenarioKey) => scenarios.find((s) => s.key === key)!;
    /** The ratio of two scenarios in each round (measured seconds apart), and its median. */
    const ratio = (top: ScenarioKey, bottom: ScenarioKey) => {
      const perRound = by(top).rounds.map((m, i) => m.result.requestsPerSec / by(bottom).rounds[i]!.result.requestsPerSec);
      return { value: median(perRound), perRound };
    };
    const ratios = {
      gatehouseTokenVsBare: ratio('gatehouseToken', 'bare'),
      gatehouseGetVsBare: ratio('gatehouseGet', 'bare'),
      oidcProviderTokenVsBare: ratio('oidcProviderToken', 'bare'),
      gatehouseTokenVsOidcProvider: ratio('gatehouseToken', 'oidcProviderToken'),
      gatehouseRefreshVsOidcProvider: ratio('gatehouseRefresh', 'oidcProviderRefresh'),
      gatehouseRefreshVsOidcProviderSqlite: ratio('gatehouseRefresh', 'oidcProviderSqliteRefresh'),
      gatehouseIntrospectVsOidcProvider: ratio('gatehouseIntrospect', 'oidcProviderIntrospect'),
      gatehouseTokenBusyVsOidcProvider: ratio('gatehouseTokenBusy', 'oidcProviderToken'),
      gatehouseGetBusyVsBare: ratio('gatehouseGetBusy', 'bare'),
    };
    /** A pair's ratio measured side by side in each round, and its median. */
    const sideRatio = (pair: SidePair) => {
      const perRound = side.get(pairKey(pair))!.map((m) => m.top.result.requestsPerSec / m.bottom.result.requestsPerSec);
      return { value: median(perRound), perRound };
    };
    const sideRatios = {
      gatehouseGetVsBare: sideRatio(SIDE_BY_SIDE[0]),
      gatehouseTokenVsOidcProvider: sideRatio(SIDE_BY_SIDE[1]),
      gatehouseIntrospectVsOidcProvider: sideRatio(SIDE_BY_SIDE[2]),
      gatehouseRefreshVsOidcProvider: sideRatio(SIDE_BY_SIDE[3]),
      gatehouseGetBusyVsBare: sideRatio(SIDE_BY_SIDE[4]),
      gatehouseTokenBusyVsOidcProvider: sideRatio(SIDE_BY_SIDE[5]),
    };
    // A target is met when both ways of measuring it say so.
    const bothMeet = (alone: { value: number }, together: { value: number }, target: number) => alone.value >= target && together.value >= target;
    const met = {
      tokenVsOidcProvider: bothMeet(ratios.gatehouseTokenVsOidcProvider, sideRatios.gatehouseTokenVsOidcProvider, TARGETS.tokenVsOidcProvider),
      authenticatedGetVsBare: bothMeet(ratios.gatehouseGetVsBare, sideRatios.gatehouseGetVsBare, TARGETS.authenticatedGetVsBare),
      refreshVsOidcProvider: bothMeet(ratios.gatehouseRefreshVsOidcProvider, sideRatios.gatehouseRefreshVsOidcProvider, TARGETS.refreshVsOidcProvider),
      introspectVsOidcProvider: bothMeet(ratios.gatehouseIntrospectVsOidcProvider, sideRatios.gatehouseIntrospectVsOidcProvider, TARGETS.introspectVsOidcProvider),
      tokenBusyVsOidcProvider: bothMeet(ratios.gatehouseTokenBusyVsOidcProvider, sideRatios.gatehouseTokenBusyVsOidcProvider, TARGETS.tokenVsOidcProvider),
      authenticatedGetBusyVsBare: bothMeet(ratios.gatehouseGetBusyVsBare, sideRatios.gatehouseGetBusyVsBare, TARGETS.authenticatedGetVsBare),
    };
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');
    const otherCpuOf = (s: Scenario) => Math.max(...s.rounds.map((m) => m.otherCpu));
    const contaminated = scenarios.filter((s) => otherCpuOf(s) > OTHER_CPU_LIMIT);
    const flag = (share: number) => `${fmt.pct(share)}${share > OTHER_CPU_LIMIT ? ' !' : ''}`;
    const bare = by('bare').median.result.requestsPerSec;

    const rows = scenarios.map((s) => {
      const r = s.median.result;
      const vsBare = s.key === 'bare' ? '100% (ceiling)' : fmt.pct(r.requestsPerSec / bare);
      let vsOidc = '';
      let target = '';
      if (s.key === 'gatehouseToken') {
        vsOidc = fmt.ratio(ratios.gatehouseTokenVsOidcProvider.value);
        target = `≥ ${TARGETS.tokenVsOidcProvider}× oidc-provider: ${verdict(met.tokenVsOidcProvider)}`;
      } else if (s.key === 'gatehouseTokenBusy') {
        vsOidc = fmt.ratio(ratios.gatehouseTokenBusyVsOidcProvider.value);
        target = `≥ ${TARGETS.tokenVsOidcProvider}× oidc-provider: ${verdict(met.tokenBusyVsOidcProvider)}`;
      } else if (s.key === 'gatehouseGet') {
        target = `≥ ${fmt.pct(TARGETS.authenticatedGetVsBare)} of bare: ${verdict(met.authenticatedGetVsBare)}`;
      } else if (s.key === 'gatehouseGetBusy') {
        target = `≥ ${fmt.pct(TARGETS.authenticatedGetVsBare)} of bare: ${verdict(met.authenticatedGetBusyVsBare)}`;
      } else if (s.key === 'gatehouseRefresh') {
        vsOidc = fmt.ratio(ratios.gatehouseRefreshVsOidcProvider.value);
        target = `≥ ${TARGETS.refreshVsOidcProvider}× oidc-provider: ${verdict(met.refreshVsOidcProvider)}`;
        vsOidc += ` (${fmt.ratio(ratios.gatehouseRefreshVsOidcProviderSqlite.value)} SQLite)`;
      } else if (s.key === 'gatehouseIntrospect') {
        vsOidc = fmt.ratio(ratios.gatehouseIntrospectVsOidcProvider.value);
        target = `≥ ${TARGETS.introspectVsOidcProvider}× oidc-provider: ${verdict(met.introspectVsOidcProvider)}`;
      } else if (s.key === 'oidcProviderToken' || s.key === 'oidcProviderRefresh' || s.key === 'oidcProviderSqliteRefresh' || s.key === 'oidcProviderIntrospect') {
        vsOidc = fmt.ratio(1);
      }
      const serverCpu = s.rounds.map((m) => fmt.pct(m.serverCpu)).join(' / ');
      return [s.label, fmt.int(r.requestsPerSec), s.rounds.map((m) => fmt.int(m.result.requestsPerSec)).join(' / '), fmt.ms(r.latencyP99Ms), fmt.ms(r.latencyP50Ms), vsBare, vsOidc, target, serverCpu, flag(otherCpuOf(s))];
    });
    const line = (name: string, r: { value: number; perRound: number[] }, together: { value: number; perRound: number[] }, format: (n: number) => string, target: string, ok: boolean) =>
      `${name} = ${format(r.value)} alone (rounds: ${r.perRound.map(format).join(', ')}), ${format(together.value)} side by side (rounds: ${together.perRound.map(format).join(', ')}); target ${target}: ${verdict(ok)}`;
    const sideRows = SIDE_BY_SIDE.map((pair) => {
      const rounds = side.get(pairKey(pair))!;
      const label = (key: ScenarioKey) => plans.find((p) => p.key === key)!.label.replace(/\s+/g, ' ');
      return [`${label(pair[0])}  vs  ${label(pair[1])}`, rounds.map((m) => fmt.int(m.top.result.requestsPerSec)).join(' / '), rounds.map((m) => fmt.int(m.bottom.result.requestsPerSec)).join(' / '),
        rounds.map((m) => `${fmt.pct(m.top.serverCpu)}+${fmt.pct(m.bottom.serverCpu)}`).join(' / '), flag(Math.max(...rounds.map((m) => m.top.otherCpu)))];
    });

    const out = [
      '',
      `Gatehouse HTTP benchmark: ${ROUNDS} rounds; in each, every scenario for ${WARMUP_SECONDS} s warm-up + ${DURATION_SECONDS} s, ${CONNECTIONS} connections; ${pinning}.`,
      `Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}). Gatehouse: SQLite, LOG_LEVEL=warn.`,
      '',
      table(['scenario', 'req/s (median)', 'each round', 'p99', 'p50', 'vs bare Fastify', 'vs oidc-provider', 'target', 'server CPU', 'other CPU'], rows, [1, 3, 4, 5, 6, 9]),
      '',
      `Side by side, each round (${SIDE_BY_SIDE.length} pairs; req/s of each while both are loaded at once):`,
      '',
      table(['pair', 'first, req/s', 'second, req/s', 'their server CPU', 'other CPU'], sideRows, [1, 2, 3, 4]),
      '',
      line('Gatehouse token issuance / oidc-provider token issuance', ratios.gatehouseTokenVsOidcProvider, sideRatios.gatehouseTokenVsOidcProvider, fmt.ratio, `≥ ${TARGETS.tokenVsOidcProvider}×`, met.tokenVsOidcProvider),
      line('Gatehouse authenticated GET / bare Fastify route       ', ratios.gatehouseGetVsBare, sideRatios.gatehouseGetVsBare, fmt.pct, `≥ ${fmt.pct(TARGETS.authenticatedGetVsBare)}`, met.authenticatedGetVsBare),
      line('Gatehouse refresh grant / oidc-provider refresh grant  ', ratios.gatehouseRefreshVsOidcProvider, sideRatios.gatehouseRefreshVsOidcProvider, fmt.ratio, `≥ ${TARGETS.refreshVsOidcProvider}×`, met.refreshVsOidcProvider),
      `Gatehouse refresh grant / oidc-provider on its SQLite adapter = ${fmt.ratio(ratios.gatehouseRefreshVsOidcProviderSqlite.value)}  (rounds: ${ratios.gatehouseRefreshVsOidcProviderSqlite.perRound.map(fmt.ratio).join(', ')}; no target: both store durably)`,
      line('Gatehouse introspection / oidc-provider introspection  ', ratios.gatehouseIntrospectVsOidcProvider, sideRatios.gatehouseIntrospectVsOidcProvider, fmt.ratio, `≥ ${TARGETS.introspectVsOidcProvider}×`, met.introspectVsOidcProvider),
      line(`With ${RUNS_PER_SECOND} runs/s executing: token issuance / oidc-provider`, ratios.gatehouseTokenBusyVsOidcProvider, sideRatios.gatehouseTokenBusyVsOidcProvider, fmt.ratio, `≥ ${TARGETS.tokenVsOidcProvider}×`, met.tokenBusyVsOidcProvider),
      line(`With ${RUNS_PER_SECOND} runs/s executing: authenticated GET / bare Fastify`, ratios.gatehouseGetBusyVsBare, sideRatios.gatehouseGetBusyVsBare, fmt.pct, `≥ ${fmt.pct(TARGETS.authenticatedGetVsBare)}`, met.authenticatedGetBusyVsBare),
      `"${RUNS_PER_SECOND} runs/s": another process (on the load generators' CPU) creates and starts that many runs of a one-step transform process through the API throughout the measurement, which the same server executes; afterwards every run must have finished. Side by side, where each server has half the CPU, ${RUNS_PER_SECOND / 2} runs/s: the same load per CPU.`,
      'Each ratio is the median of its per-round ratios. "Alone": each side measured by itself, one right after the other. "Side by side": both at once, sharing the server CPU, so drift of the machine hits both alike. A target is met when both say so.',
      `Refresh grant: ${CONNECTIONS} workers, each presenting the refresh token its previous request returned (both servers rotate; bench/refresh-load.ts). Gatehouse's chains go on across rounds; oidc-provider gets new ones each round (its in-memory adapter slows down as a chain grows).`,
      'oidc-provider as it ships keeps every token in process memory (an LRU of 1,000 entries, "not for production"); the SQLite row gives it a durable store as Gatehouse has (bench/servers/oidc-sqlite-adapter.ts).',
      `Introspection: a client credentials token, by its client; oidc-provider's is opaque (it refuses to introspect JWTs), Gatehouse's an ES256 JWT.`,
      `"server CPU": how busy the server kept its CPU in each round, warm-up and start-up of the load generator included (near 100%: the figure is the server's limit, not the load generator's).`,
      `"other CPU": the largest share of both CPUs that processes outside the bench used during one of the scenario's measurements.`,
      ...(contaminated.length > 0
        ? [`WARNING: other processes used over ${fmt.pct(OTHER_CPU_LIMIT)} of the CPUs during: ${contaminated.map((s) => s.label.replace(/\s+/g, ' ')).join('; ')}. Those figures are not reliable; rerun on a quiet machine.`]
        : []),
      '',
      `ES256 JWT micro-benchmark (bench/jwt.ts, one process pinned to CPU ${SERVER_CPU}; other CPU ${flag(jwtOtherCpu)}):`,
      '',
      formatJwt(jwt),
      '',
      ...(engine ? [engine.text, ''] : []),
    ];
    process.stdout.write(`${out.join('\n')}\n`);

    const value = (r: { value: number }) => r.value;
    writeResults('latest.json', {
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model.trim() ?? null,
      pinned: HAS_TASKSET,
      settings: { rounds: ROUNDS, connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, durationSeconds: DURATION_SECONDS, serverCpu: SERVER_CPU, loadCpu: LOAD_CPU, otherCpuLimit: OTHER_CPU_LIMIT },
      scenarios: Object.fromEntries(scenarios.map((s) => [s.key, {
        label: s.label.replace(/\s+/g, ' '), otherCpu: otherCpuOf(s), median: s.median.result, rounds: s.rounds,
      }])),
      ratios,
      sideBySide: Object.fromEntries(SIDE_BY_SIDE.map((pair) => [pairKey(pair), side.get(pairKey(pair))!.map((m) => ({ top: m.top.result, bottom: m.bottom.result }))])),
      sideRatios,
      targets: {
        gatehouseTokenVsOidcProvider: { min: TARGETS.tokenVsOidcProvider, value: value(ratios.gatehouseTokenVsOidcProvider), sideBySide: value(sideRatios.gatehouseTokenVsOidcProvider), met: met.tokenVsOidcProvider },
        gatehouseGetVsBare: { min: TARGETS.authenticatedGetVsBare, value: value(ratios.gatehouseGetVsBare), sideBySide: value(sideRatios.gatehouseGetVsBare), met: met.authenticatedGetVsBare },
        gatehouseRefreshVsOidcProvider: { min: TARGETS.refreshVsOidcProvider, value: value(ratios.gatehouseRefreshVsOidcProvider), sideBySide: value(sideRatios.gatehouseRefreshVsOidcProvider), met: met.refreshVsOidcProvider },
        gatehouseIntrospectVsOidcProvider: { min: TARGETS.introspectVsOidcProvider, value: value(ratios.gatehouseIntrospectVsOidcProvider), sideBySide: value(sideRatios.gatehouseIntrospectVsOidcProvider), met: met.introspectVsOidcProvider },
        gatehouseTokenBusyVsOidcProvider: { min: TARGETS.tokenVsOidcProvider, value: value(ratios.gatehouseTokenBusyVsOidcProvider), sideBySide: value(sideRatios.gatehouseTokenBusyVsOidcProvider), met: met.tokenBusyVsOidcProvider },
        gatehouseGetBusyVsBare: { min: TARGETS.authenticatedGetVsBare, value: value(ratios.gatehouseGetBusyVsBare), sideBySide: value(sideRatios.gatehouseGetBusyVsBare), met: met.authenticatedGetBusyVsBare },
      },
      reliable: contaminated.length === 0 && jwtOtherCpu <= OTHER_CPU_LIMIT,
      jwt: { ...jwt, otherCpu: jwtOtherCpu },
      ...(engine ? { engine: engine.results } : {}),
      elapsedSeconds: (Date.now() - started) / 1000,
    });
    return 0;
  } finally {
    await stopAll();
    removeDataDir();
  }
}

// Children must not outlive the bench, however it ends.
process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the servers…`);
    void stopAll().finally(() => {
      removeDataDir();
      process.exit(130);
    });
  });
}

let code: number;
try {
  code = await main();
} catch (error) {
  log(`\nBENCH FAILED: ${error instanceof BenchError ? error.message : (error as Error).stack ?? String(error)}`);
  code = 1;
}
await stopAll();
process.exit(code);
