// The background of the "with runs" scenarios, run as its own (pinned)
// process by bench/measure.ts: `node bench/run-producer.ts '<json spec>'`.
// Creates and starts runs of a process through the API at a steady rate for
// a while, then prints one JSON line: how many it made, how many failed, the
// last one's id, and the CPU time it used. It shares the load generator's
// CPU, so it sends prepared bytes on raw sockets (bench/http-client.ts), as
// the load generator does: with fetch it took 15% of that CPU, and the load
// generator slowed.
import { performance } from 'node:perf_hooks';
import { Connection, requestBytes } from './http-client.ts';

export interface RunProducerSpec {
  base: string;
  token: string;
  processId: string;
  perSecond: number;
  seconds: number;
}

export interface RunProducerResult {
  created: number;
  failed: number;
  failures: string[];
  lastRunId: string | null;
  cpuMs: number;
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '') as RunProducerSpec;
  const result: RunProducerResult = { created: 0, failed: 0, failures: [], lastRunId: null, cpuMs: 0 };
  const url = new URL(`${spec.base}/api/v1/processes/${spec.processId}/processruns`);
  const request = requestBytes('POST', url, { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' }, JSON.stringify({ data: { n: 21 }, start: true }));
  // A few keep-alive connections, used in turn: one request at a time on each.
  const idle = Array.from({ length: 4 }, () => new Connection(url));
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round(spec.perSecond * spec.seconds);
  for (let i = 0; i < total; i++) {
    // On schedule: the i-th run at i / perSecond seconds.
    const wait = started + (i * 1000) / spec.perSecond - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const connection = idle.pop() ?? new Connection(url);
    const sent = connection.send(request).then((reply) => {
      const body = reply.body.toString('utf8');
      if (reply.status !== 201) {
        result.failed++;
        if (result.failures.length < 5) result.failures.push(`HTTP ${reply.status}: ${body.slice(0, 200)}`);
        return;
      }
      result.created++;
      result.lastRunId = (JSON.parse(body) as { id: string }).id;
      idle.push(connection);
    }, (error: unknown) => {
      result.failed++;
      if (result.failures.length < 5) result.failures.push(String(error));
    });
    const tracked = sent.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  for (const connection of idle) connection.close();
  const cpu = process.cpuUsage();
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
