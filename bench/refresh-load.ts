// The refresh-token grant's load generator, run as its own (pinned) process
// by bench/run.ts: `node bench/refresh-load.ts '<json RefreshLoadSpec>'`.
//
// Both servers rotate refresh tokens, so a fixed request body (autocannon)
// would be refused after its first use. Instead, a closed loop: one worker
// per seeded refresh token, each with its own keep-alive connection, sends
// grant_type=refresh_token and uses the refresh_token in the response for its
// next request, for a warm-up and then a measured period. Prints one JSON line
// on stdout, in the shape of bench/load.ts's LoadResult.
import { connect, type Socket } from 'node:net';
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
  /** Each worker's newest refresh token, for the next measurement to go on with. */
  refreshTokens: string[];
}

const TIMEOUT_MS = 10_000;

const spec = JSON.parse(process.argv[2] ?? '') as RefreshLoadSpec;
const target = new URL(spec.url);
const requestHead = `POST ${target.pathname}${target.search} HTTP/1.1\r\nhost: ${target.host}\r\n`
  + 'content-type: application/x-www-form-urlencoded\r\naccept: application/json\r\n';
const credentials = `&client_id=${encodeURIComponent(spec.clientId)}&client_secret=${encodeURIComponent(spec.clientSecret)}`;

interface Reply {
  status: number;
  body: string;
}

class Timeout extends Error {}

/**
 * One keep-alive HTTP/1.1 connection that sends a request and reads its
 * response (Content-Length framed, as both servers answer), one at a time.
 * Raw sockets rather than node:http: at several thousand requests a second
 * node:http's client costs as much CPU as the server under test.
 */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { done: (reply: Reply) => void; fail: (error: Error) => void; timer: NodeJS.Timeout } | null = null;

  constructor() {
    this.#socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    this.#socket.on('error', (error) => this.#settle(null, error));
    this.#socket.on('close', () => this.#settle(null, new Error('the server closed the connection')));
  }

  post(body: string): Promise<Reply> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => this.#settle(null, new Timeout(`no response within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.#pending = { done, fail, timer };
      this.#socket.write(`${requestHead}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.#settle(null, new Error(`a response without Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const end = headEnd + 4 + Number(length[1]);
    if (this.#buffer.length < end) return;
    const reply = { status: Number(head.slice(9, 12)), body: this.#buffer.toString('utf8', headEnd + 4, end) };
    this.#buffer = this.#buffer.subarray(end);
    this.#settle(reply, null);
  }

  #settle(reply: Reply | null, error: Error | null): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    clearTimeout(pending.timer);
    if (reply) pending.done(reply);
    else pending.fail(error!);
  }
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

const latest = [...spec.refreshTokens];

async function worker(index: number, first: string, connection: Connection): Promise<void> {
  let refreshToken = first;
  while (performance.now() < measureUntil) {
    const body = `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}${credentials}`;
    const sent = performance.now();
    let reply: Reply;
    try {
      reply = await connection.post(body);
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
    latest[index] = next;
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

const connections = spec.refreshTokens.map(() => new Connection());
await Promise.all(spec.refreshTokens.map((token, i) => worker(i, token, connections[i]!)));
for (const connection of connections) connection.close();

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
  refreshTokens: latest,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
