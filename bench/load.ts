// The load generator for a fixed request, run as its own (pinned) process by
// bench/run.ts: `node bench/load.ts '<json LoadSpec>'`. `connections`
// keep-alive connections each send the request again as soon as its response
// is in, for a warm-up and then a measured period. Prints one JSON line with
// the figures on stdout.
import { performance } from 'node:perf_hooks';
import { Connection, requestBytes, Tally } from './http-client.ts';

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

// Only when run as the load generator (its types are imported elsewhere).
if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
  const url = new URL(spec.url);
  const request = requestBytes(spec.method ?? 'GET', url, spec.headers ?? {}, spec.body);
  const tally = new Tally(spec.warmupSeconds, spec.durationSeconds);

  const worker = async (connection: Connection): Promise<void> => {
    while (tally.running) {
      const sent = performance.now();
      try {
        const reply = await connection.send(request);
        tally.response(reply.status, sent, performance.now(), () => reply.body.toString('utf8'));
      } catch (error) {
        tally.error(error);
        return;
      }
    }
  };

  const connections = Array.from({ length: spec.connections }, () => new Connection(url));
  await Promise.all(connections.map(worker));
  for (const connection of connections) connection.close();
  process.stdout.write(`${JSON.stringify({ ...tally.result(), failures: tally.failures })}\n`);
}
