// The background of the "with runs" scenarios, run as its own (pinned)
// process by bench/measure.ts: `node bench/run-producer.ts '<json spec>'`.
// Creates and starts runs of a process through the API at a steady rate for
// a while, then prints one JSON line: how many it made, how many failed, the
// last one's id, and the CPU time it used.
import { performance } from 'node:perf_hooks';

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
  const url = `${spec.base}/api/v1/processes/${spec.processId}/processruns`;
  const headers = { authorization: `Bearer ${spec.token}`, 'content-type': 'application/json' };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.round(spec.perSecond * spec.seconds);
  for (let i = 0; i < total; i++) {
    // On schedule: the i-th run at i / perSecond seconds.
    const wait = started + (i * 1000) / spec.perSecond - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const request = fetch(url, { method: 'POST', headers, body: JSON.stringify({ data: { n: i }, start: true }) }).then(async (response) => {
      const body = await response.text();
      if (response.status !== 201 && response.status !== 200) {
        result.failed++;
        if (result.failures.length < 5) result.failures.push(`HTTP ${response.status}: ${body.slice(0, 200)}`);
        return;
      }
      result.created++;
      result.lastRunId = (JSON.parse(body) as { id: string }).id;
    }, (error: unknown) => {
      result.failed++;
      if (result.failures.length < 5) result.failures.push(String(error));
    });
    const tracked = request.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }
  await Promise.all(inFlight);
  const cpu = process.cpuUsage();
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
