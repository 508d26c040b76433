// The load generator, run as its own (pinned) process by bench/run.ts:
// `node bench/load.ts '<json LoadSpec>'`. Warms up, measures, and prints one
// JSON line with the figures on stdout.
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  requestsPerSec: number;
  totalRequests: number;
  latencyAvgMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationSeconds: number;
  /** CPU time (ms) this load generator process used, warm-up included. */
  cpuMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const options = {
  url: spec.url,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  ...(spec.body === undefined ? {} : { body: spec.body }),
  connections: spec.connections,
  pipelining: 1,
  timeout: 10,
};

if (spec.warmupSeconds > 0) await autocannon({ ...options, duration: spec.warmupSeconds });

// autocannon's own latency histogram has whole-millisecond resolution, which
// reads 0 ms for fast routes; keep the exact response times of 2xx responses.
let latencies = new Float64Array(1 << 20);
let count = 0;
const instance = autocannon({ ...options, duration: spec.durationSeconds });
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode > 299) return;
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[count++] = responseTime;
});
const result = await instance;
const sorted = latencies.subarray(0, count).sort();
const percentile = (p: number) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.ceil((p / 100) * count) - 1)]!);
let sum = 0;
for (const value of sorted) sum += value;

const statusCodes: Record<string, number> = {};
for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count;
const output: LoadResult = {
  requestsPerSec: result.requests.average,
  totalRequests: result.requests.total,
  latencyAvgMs: count === 0 ? NaN : sum / count,
  latencyP50Ms: percentile(50),
  latencyP99Ms: percentile(99),
  ok2xx: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  statusCodes,
  durationSeconds: result.duration,
  cpuMs: (() => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  })(),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
