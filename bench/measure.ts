// What every benchmark here shares: the settings, load generators run in
// their own pinned processes (one scenario alone, or several side by side),
// the CPU accounting that flags a disturbed machine, and the checks that a
// server answers what it should before it is measured.
import { join } from 'node:path';
import { fmt, machineCpu, NODE, processCpuMs, ROOT, spawnPinned, type Child } from './lib.ts';
import type { LoadResult, LoadSpec } from './load.ts';
import type { RefreshLoadResult, RefreshLoadSpec } from './refresh-load.ts';

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
export const WARMUP_SECONDS = 1;
export const DURATION_SECONDS = 3;
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;
/**
 * Share of all CPU time used by other processes above which a figure is
 * flagged. Both CPUs are busy with the server and the load generator, so even a
 * few percent taken by someone else shows in the results.
 */
export const OTHER_CPU_LIMIT = 0.03;
/** Before each measurement, wait up to this long for the CPUs to be idle. */
const QUIET_WAIT_MS = 5_000;
/** After this, no more waiting, so that a run on a busy machine still ends. */
const PATIENCE_MS = 260_000;
const STARTED = Date.now();

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** One measurement of a scenario. */
export interface Measurement {
  result: LoadResult;
  /** Share of all CPU time that processes other than the bench's used during the measurement. */
  otherCpu: number;
  /** How busy the server under load kept its CPU: near 100% means the figure is the server's limit. */
  serverCpu: number;
}

/** How a scenario is measured: its server and the load generator's spec (made afresh each time). */
export interface ScenarioPlan<Key extends string = string> {
  key: Key;
  label: string;
  server: Child;
  generator: Generator;
}

export class BenchError extends Error {}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Runs `measure` and works out the CPU share other processes took meanwhile:
 * the machine's busy time less what the bench's own processes used.
 */
export async function withOtherCpu<T>(measure: () => Promise<{ value: T; childCpuMs: number }>, watched: Child[] = []): Promise<{ value: T; otherCpu: number }> {
  const pids = watched.map((c) => c.process.pid);
  const machine0 = machineCpu();
  const watched0 = pids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0);
  const self0 = process.cpuUsage();
  const { value, childCpuMs } = await measure();
  const self = process.cpuUsage(self0);
  const watchedMs = pids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0) - watched0;
  const machine1 = machineCpu();
  const ours = watchedMs + childCpuMs + (self.user + self.system) / 1000;
  const all = machine1.all - machine0.all;
  const other = Math.max(0, machine1.busy - machine0.busy - ours);
  return { value, otherCpu: all > 0 ? other / all : 0 };
}

/**
 * Waits (within the bench's patience) until other processes leave the CPUs
 * idle for half a second; `watched` are the bench's own idle children.
 */
export async function waitForQuiet(watched: Child[] = []): Promise<void> {
  const deadline = Math.min(Date.now() + QUIET_WAIT_MS, STARTED + PATIENCE_MS);
  let said = false;
  while (Date.now() < deadline) {
    const { otherCpu } = await withOtherCpu(async () => {
      await new Promise((done) => setTimeout(done, 500));
      return { value: undefined, childCpuMs: 0 };
    }, watched);
    if (otherCpu <= OTHER_CPU_LIMIT) return;
    if (!said) log(`  waiting for the CPUs to be idle (other processes use ${fmt.pct(otherCpu)})…`);
    said = true;
  }
}

/** What runs one measurement: a load generator script and its spec. */
export interface Generator {
  /** For messages: "fixed request" or "refresh chains". */
  name: string;
  script: string;
  spec: () => Promise<object>;
  /**
   * Called with each measurement's result (the refresh chains go on from the
   * tokens it ends with; introspection checks its token was active throughout).
   */
  after?: (result: RefreshLoadResult) => void | Promise<void>;
  /** How the clients are described in the log line. */
  clients: string;
  /** Work the server is given meanwhile, by another process beside the load generator. */
  background?: Background;
}

/** A background for a measurement: a script run for as long as the measurement, then checked. */
export interface Background {
  /** For messages: "100 runs/s". */
  name: string;
  script: string;
  /**
   * The script's spec, to run for `seconds`. `share`: the part of the CPU
   * its server has (1 alone; 1/2 side by side), which scales the background
   * load, so that it is the same per CPU in both ways of measuring.
   */
  spec: (seconds: number, share: number) => Promise<object>;
  /** Checks what the script reports (and that the server kept up with it). */
  after: (result: { cpuMs: number }) => Promise<void>;
}

/** bench/load.ts sending the same request over and over, in its own pinned process. */
export function fixedRequest(spec: Omit<LoadSpec, 'connections' | 'warmupSeconds' | 'durationSeconds'>): Generator {
  const full: LoadSpec = { ...spec, connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, durationSeconds: DURATION_SECONDS };
  return { name: 'fixed request', script: 'bench/load.ts', spec: async () => full, clients: `${CONNECTIONS} connections` };
}

/**
 * bench/load.ts on an introspection endpoint, with a token `mint` makes afresh
 * for each measurement, checked active before and after it: a 200 says
 * nothing of the answer, and oidc-provider's in-memory store (an LRU of 1,000
 * entries) drops an idle token once the refresh rounds have filled it, after
 * which it answers {"active":false}, faster.
 */
export function introspection(who: string, url: string, mint: () => Promise<Record<string, string>>): Generator {
  let params: Record<string, string> | undefined;
  return {
    name: 'fixed request',
    script: 'bench/load.ts',
    spec: async (): Promise<LoadSpec> => {
      params = await mint();
      await checkIntrospection(who, url, params);
      return { url, method: 'POST', headers: FORM, body: new URLSearchParams(params).toString(), connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, durationSeconds: DURATION_SECONDS };
    },
    after: () => checkIntrospection(who, url, params!),
    clients: `${CONNECTIONS} connections`,
  };
}

/**
 * bench/refresh-load.ts: CONNECTIONS workers, each chaining refreshes on its
 * own keep-alive connection. The first measurement starts from the refresh
 * tokens `seed` returns; every later one goes on from where the last ended,
 * unless `fresh` asks for new chains each time.
 */
export function refreshChains(
  label: string,
  target: Omit<RefreshLoadSpec, 'refreshTokens' | 'warmupSeconds' | 'durationSeconds'>,
  seed: (n: number) => Promise<string[]>,
  fresh = false,
): Generator {
  let latest: string[] | undefined;
  return {
    name: 'refresh chains',
    script: 'bench/refresh-load.ts',
    spec: async (): Promise<RefreshLoadSpec> => {
      const refreshTokens = (fresh ? undefined : latest) ?? await seed(CONNECTIONS);
      if (refreshTokens.length !== CONNECTIONS || new Set(refreshTokens).size !== CONNECTIONS) {
        throw new BenchError(`${label.replace(/\s+/g, ' ')}: expected ${CONNECTIONS} distinct refresh tokens, got ${JSON.stringify(refreshTokens)}`);
      }
      return { ...target, refreshTokens, warmupSeconds: WARMUP_SECONDS, durationSeconds: DURATION_SECONDS };
    },
    after: (result) => {
      latest = result.refreshTokens;
    },
    clients: `${CONNECTIONS} workers each chaining refreshes on its own keep-alive connection`,
  };
}

/** One measurement: the generator in its own pinned process; fails on any non-2xx or error. */
export async function measure(plan: ScenarioPlan, watched: Child[]): Promise<Measurement> {
  return (await measureTogether([plan], watched))[0]!;
}

/**
 * Measures the plans at once: each generator in its own process, all pinned
 * to LOAD_CPU, started together (side by side, their servers share
 * SERVER_CPU). Fails on any non-2xx or error.
 */
export async function measureTogether(plans: ScenarioPlan[], watched: Child[]): Promise<Measurement[]> {
  const names = plans.map((plan) => plan.label.replace(/\s+/g, ' '));
  const specs: object[] = [];
  for (const plan of plans) specs.push(await plan.generator.spec());
  await waitForQuiet(watched);
  const meanwhile = plans.flatMap((plan) => (plan.generator.background ? [`${plan.generator.background.name}${plans.length > 1 ? ` (scaled to its ${plans.length === 2 ? 'half' : 'share'} of the CPU)` : ''}`] : []));
  log(`  measuring ${names.join(' + ')}${plans.length > 1 ? ', side by side' : ''}: ${WARMUP_SECONDS} s warm-up + ${DURATION_SECONDS} s, ${plans[0]!.generator.clients}${meanwhile.length > 0 ? `, with ${meanwhile.join(', ')} in the background` : ''}…`);
  const serverPids = plans.map((plan) => plan.server.process.pid);
  const serverCpu0 = serverPids.map(processCpuMs);
  const wall0 = Date.now();
  const backgrounds = await Promise.all(plans.map(async (plan) => {
    const background = plan.generator.background;
    return background ? { background, spec: await background.spec(WARMUP_SECONDS + DURATION_SECONDS + 0.5, 1 / plans.length) } : undefined;
  }));
  const { value: results, otherCpu } = await withOtherCpu(async () => {
    const behind = backgrounds.map((b, i) => b && spawnPinned(`${b.background.name} (${names[i]})`, LOAD_CPU, NODE, [join(ROOT, b.background.script), JSON.stringify(b.spec)]));
    const children = plans.map((plan, i) => spawnPinned(`${plan.generator.name} (${names[i]})`, LOAD_CPU, NODE, [join(ROOT, plan.generator.script), JSON.stringify(specs[i])]));
    const lastLine = async (child: Child, what: string) => {
      const { code, signal } = await child.closed;
      if (code !== 0) throw new BenchError(`${what} failed (${code ?? signal}):\n${child.output()}`);
      return JSON.parse(child.stdout().trim().split('\n').at(-1) ?? '') as { cpuMs: number };
    };
    const parsed = await Promise.all(children.map((child, i) => lastLine(child, `the load generator for ${names[i]}`) as Promise<LoadResult & Partial<RefreshLoadResult>>));
    let backgroundCpuMs = 0;
    for (const [i, child] of behind.entries()) {
      if (!child) continue;
      const reported = await lastLine(child, `the background of ${names[i]}`);
      backgroundCpuMs += reported.cpuMs;
      await backgrounds[i]!.background.after(reported);
    }
    return { value: parsed, childCpuMs: parsed.reduce((sum, r) => sum + r.cpuMs, 0) + backgroundCpuMs };
  }, watched);
  const wall = (Date.now() - wall0) || 1;
  const measurements: Measurement[] = [];
  for (const [i, result] of results.entries()) {
    const name = names[i]!;
    // Over the whole run, warm-up and the generator's start included, so a little under 100% at best.
    const serverCpu = (processCpuMs(serverPids[i]) - serverCpu0[i]!) / wall;
    if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result.ok2xx === 0) {
      const { failures, ...rest } = result;
      throw new BenchError(`${name}: not every response was a 2xx: ${JSON.stringify({ ok2xx: rest.ok2xx, non2xx: rest.non2xx, errors: rest.errors, timeouts: rest.timeouts, statusCodes: rest.statusCodes })}${failures?.length ? `\n${failures.join('\n')}` : ''}`);
    }
    await plans[i]!.generator.after?.(result as RefreshLoadResult);
    // Only the figures are kept: not the refresh chains' failures or tokens.
    const figures: LoadResult = {
      requestsPerSec: result.requestsPerSec, totalRequests: result.totalRequests, latencyAvgMs: result.latencyAvgMs,
      latencyP50Ms: result.latencyP50Ms, latencyP99Ms: result.latencyP99Ms, ok2xx: result.ok2xx, non2xx: result.non2xx,
      errors: result.errors, timeouts: result.timeouts, statusCodes: result.statusCodes, durationSeconds: result.durationSeconds, cpuMs: result.cpuMs,
    };
    measurements.push({ result: figures, otherCpu, serverCpu });
  }
  // The load generators must not be what limits the rate.
  const busy = results.reduce((sum, r) => sum + r.cpuMs, 0) / ((WARMUP_SECONDS + DURATION_SECONDS) * 1000);
  if (busy > 0.9) {
    log(`  WARNING: the load generator${plans.length > 1 ? 's' : ''} kept ${plans.length > 1 ? 'their' : 'its'} CPU ${fmt.pct(busy)} busy; the figures may be that limit rather than the server's.`);
  }
  if (otherCpu > OTHER_CPU_LIMIT) log(`  WARNING: other processes used ${fmt.pct(otherCpu)} of the CPUs during this measurement.`);
  return measurements;
}

export async function expectJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.status !== 200) throw new BenchError(`${what}: HTTP ${response.status}: ${text}`);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new BenchError(`${what}: the response is not JSON: ${text}`);
  }
}

/** Checks that `token` is a compact JWS whose header says ES256; returns the header. */
export function expectEs256Jwt(token: unknown, who: string): Record<string, unknown> {
  if (typeof token !== 'string') throw new BenchError(`${who} returned no access_token string: ${JSON.stringify(token)}`);
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) {
    throw new BenchError(`${who} did not return a JWT access token (${parts.length} dot-separated parts): ${token}`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new BenchError(`${who}'s access token has an unreadable JOSE header: ${token}`);
  }
  if (header.alg !== 'ES256') throw new BenchError(`${who}'s access token is signed with ${String(header.alg)}, not ES256: ${JSON.stringify(header)}`);
  return header;
}

export const post = (url: string, params: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: FORM, body: new URLSearchParams(params).toString() });

/**
 * Before measuring the refresh-token grant: one refresh must return an ES256
 * JWT access token and a new refresh token, and presenting the old one again
 * must then fail (so the server does rotate). Uses up `refreshToken`.
 */
export async function checkRefresh(who: string, tokenUrl: string, client: { client_id: string; client_secret: string }, refreshToken: string): Promise<Record<string, unknown>> {
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken, ...client };
  const refreshed = await expectJson(await post(tokenUrl, params), `${who} POST ${tokenUrl} (refresh_token)`);
  const header = expectEs256Jwt(refreshed.access_token, `${who} (refresh_token grant)`);
  if (typeof refreshed.refresh_token !== 'string' || refreshed.refresh_token === refreshToken) {
    throw new BenchError(`${who} did not rotate the refresh token: ${JSON.stringify(refreshed)}`);
  }
  const reused = await post(tokenUrl, params);
  const text = await reused.text();
  if (reused.status !== 400 || !text.includes('invalid_grant')) {
    throw new BenchError(`${who} accepted a rotated refresh token again (HTTP ${reused.status}): ${text}`);
  }
  return header;
}

/** Before measuring introspection: the prepared request must say the token is active. */
async function checkIntrospection(who: string, url: string, params: Record<string, string>): Promise<void> {
  const answer = await expectJson(await post(url, params), `${who} POST ${url}`);
  if (answer.active !== true || answer.client_id !== params.client_id) {
    throw new BenchError(`${who} did not introspect the token as active for ${params.client_id}: ${JSON.stringify(answer)}`);
  }
}
