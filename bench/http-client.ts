// What the bench's load generators share: keep-alive HTTP/1.1 connections on
// raw sockets, and the tally of a measurement. Raw sockets because a load
// generator must not be what limits the rate: autocannon kept its CPU 90-98%
// busy at 33,000 req/s against the bare route (measured), and node:http's
// client costs more still. Responses must be Content-Length framed, as every
// server measured here answers.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LoadResult } from './load.ts';

const TIMEOUT_MS = 10_000;

export interface Reply {
  status: number;
  /** The body's bytes (a view into the connection's buffer until the next request). */
  body: Buffer;
}

export class Timeout extends Error {}

/** A request's bytes: `method url`, then the headers, then the body. */
export function requestBytes(method: string, url: URL, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
}

/** One keep-alive connection that sends a request and reads its response, one at a time. */
export class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { done: (reply: Reply) => void; fail: (error: Error) => void; timer: NodeJS.Timeout } | null = null;

  constructor(url: URL) {
    this.#socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    this.#socket.on('error', (error) => this.#settle(null, error));
    this.#socket.on('close', () => this.#settle(null, new Error('the server closed the connection')));
  }

  send(request: Buffer | string): Promise<Reply> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => this.#settle(null, new Timeout(`no response within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.#pending = { done, fail, timer };
      this.#socket.write(request);
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
    const reply = { status: Number(head.slice(9, 12)), body: this.#buffer.subarray(headEnd + 4, end) };
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

/**
 * The tally of one measurement: a warm-up, then `durationSeconds` whose
 * responses count. Failures are counted over the whole run, warm-up included.
 */
export class Tally {
  readonly measureFrom: number;
  readonly measureUntil: number;
  readonly #durationSeconds: number;
  #latencies = new Float64Array(1 << 16);
  #count = 0;
  non2xx = 0;
  errors = 0;
  timeouts = 0;
  readonly statusCodes: Record<string, number> = {};
  /** The first few failures, for the bench's error message. */
  readonly failures: string[] = [];

  constructor(warmupSeconds: number, durationSeconds: number) {
    this.measureFrom = performance.now() + warmupSeconds * 1000;
    this.measureUntil = this.measureFrom + durationSeconds * 1000;
    this.#durationSeconds = durationSeconds;
  }

  get running(): boolean {
    return performance.now() < this.measureUntil;
  }

  fail(message: string): void {
    if (this.failures.length < 5) this.failures.push(message);
  }

  /** Counts a response; returns whether it was a 2xx. */
  response(status: number, sent: number, received: number, body: () => string): boolean {
    const measured = received >= this.measureFrom && received <= this.measureUntil;
    if (measured) this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
    if (status < 200 || status > 299) {
      this.non2xx++;
      this.fail(`HTTP ${status}: ${body().slice(0, 300)}`);
      return false;
    }
    if (measured) this.ok(received - sent);
    return true;
  }

  /** Counts a 2xx response of the measured period that took `ms`. */
  ok(ms: number): void {
    if (this.#count === this.#latencies.length) {
      const bigger = new Float64Array(this.#latencies.length * 2);
      bigger.set(this.#latencies);
      this.#latencies = bigger;
    }
    this.#latencies[this.#count++] = ms;
  }

  error(error: unknown): void {
    if (error instanceof Timeout) this.timeouts++;
    else this.errors++;
    this.fail((error as Error).message);
  }

  result(): LoadResult {
    const count = this.#count;
    const sorted = this.#latencies.subarray(0, count).sort();
    const percentile = (p: number) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)]!);
    let sum = 0;
    for (const value of sorted) sum += value;
    const usage = process.cpuUsage();
    return {
      requestsPerSec: count / this.#durationSeconds,
      totalRequests: count,
      latencyAvgMs: count === 0 ? NaN : sum / count,
      latencyP50Ms: percentile(50),
      latencyP99Ms: percentile(99),
      ok2xx: count,
      non2xx: this.non2xx,
      errors: this.errors,
      timeouts: this.timeouts,
      statusCodes: this.statusCodes,
      durationSeconds: this.#durationSeconds,
      cpuMs: (usage.user + usage.system) / 1000,
    };
  }
}
