// The refresh-token grant's load generator, run as its own (pinned) process
// by bench/run.ts: `node bench/refresh-load.ts '<json RefreshLoadSpec>'`.
//
// Both servers rotate refresh tokens, so a fixed request body (autocannon)
// would be refused after its first use. Instead, a closed loop: one worker
// per seeded refresh token, each with its own keep-alive connection, sends
// grant_type=refresh_token and uses the refresh_token in the response for its
// next request, for a warm-up and then a measured period. Prints one JSON line
// on stdout, in the shape of bench/load.ts's LoadResult.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadResult } from './load.ts';

export interface RefreshLoadSpec {
  /** The token endpoint. */
  url: string;
  /** client_secret_post credentials of the client the refresh tokens were issued to. */
  clientId: string;
  clientSecret: string;
  /** One unused refresh token per worker. */
  refreshTokens: string[];
  warmupSeconds: number;
  durationSeconds: number;
}

export interface RefreshLoadResult extends LoadResult {
  /**
   * The first few failures, if any. A failed refresh ends its worker's chain
   * (it has no token left to present), so `non2xx`, `errors` and `timeouts`
   * count failures over the whole run, warm-up included; the other counts are
   * for the measured period only.
   */
  failures: string[];
}

const TIMEOUT_MS = 10_000;

const spec = JSON.parse(process.argv[2] ?? '') as RefreshLoadSpec;
const target = new URL(spec.url);
const agent = new Agent({ keepAlive: true, maxSockets: spec.refreshTokens.length });

interface Reply {
  status: number;
  body: string;
}

class Timeout extends Error {}

function post(body: string): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({
      agent,
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        accept: 'application/json',
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => done({ status: res.statusCode ?? 0, body: text }));
      res.once('error', fail);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Timeout(`no response within ${TIMEOUT_MS} ms`)));
    req.once('error', fail);
    req.end(body);
  });
}

let latencies = new Float64Array(1 << 16);
let count = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
const statusCodes: Record<string, number> = {};
const failures: string[] = [];
const fail = (message: string) => {
  if (failures.length < 5) failures.push(message);
};

const started = performance.now();
const measureFrom = started + spec.warmupSeconds * 1000;
const measureUntil = measureFrom + spec.durationSeconds * 1000;

async function worker(index: number, first: string): Promise<void> {
  let refreshToken = first;
  while (performance.now() < measureUntil) {
    const body = new URLSearchParams({
      grant_type: 'refresh_token', refresh_token: refreshToken, client_id: spec.clientId, client_secret: spec.clientSecret,
    }).toString();
    const sent = performance.now();
    let reply: Reply;
    try {
      reply = await post(body);
    } catch (error) {
      if (error instanceof Timeout) timeouts++;
      else errors++;
      fail(`worker ${index}: ${(error as Error).message}`);
      return;
    }
    const received = performance.now();
    const measured = received >= measureFrom && received <= measureUntil;
    if (measured) statusCodes[reply.status] = (statusCodes[reply.status] ?? 0) + 1;
    if (reply.status < 200 || reply.status > 299) {
      non2xx++;
      fail(`worker ${index}: HTTP ${reply.status}: ${reply.body.slice(0, 300)}`);
      return;
    }
    let next: unknown;
    let accessToken: unknown;
    try {
      ({ refresh_token: next, access_token: accessToken } = JSON.parse(reply.body) as Record<string, unknown>);
    } catch {
      // Handled below: no new token.
    }
    if (typeof next !== 'string' || next === refreshToken || typeof accessToken !== 'string') {
      errors++;
      fail(`worker ${index}: the response holds no new refresh token and access token: ${reply.body.slice(0, 300)}`);
      return;
    }
    refreshToken = next;
    if (measured) {
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = received - sent;
    }
  }
}

await Promise.all(spec.refreshTokens.map((token, i) => worker(i, token)));
agent.destroy();

const sorted = latencies.subarray(0, count).sort();
const percentile = (p: number) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)]!);
let sum = 0;
for (const value of sorted) sum += value;
const usage = process.cpuUsage();
const output: RefreshLoadResult = {
  requestsPerSec: count / spec.durationSeconds,
  totalRequests: count,
  latencyAvgMs: count === 0 ? NaN : sum / count,
  latencyP50Ms: percentile(50),
  latencyP99Ms: percentile(99),
  ok2xx: count,
  non2xx,
  errors,
  timeouts,
  statusCodes,
  durationSeconds: spec.durationSeconds,
  cpuMs: (usage.user + usage.system) / 1000,
  failures,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
