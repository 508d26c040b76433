// A graphile-worker consumer for the engine benchmark: a pool of
// CONCURRENCY workers on its own schema, running a no-op task, with
// graphile-worker's defaults otherwise (each job fetched and completed on its
// own: no local queue, no completion batching). It prints "ready" once it
// runs; on SIGTERM it stops gracefully and prints how many jobs it ran and,
// for jobs whose payload says when they were added ({sent}), how long each
// waited to start.
import { performance } from 'node:perf_hooks';
import { run } from 'graphile-worker';

const concurrency = Number(process.env.CONCURRENCY ?? 32);
let handled = 0;
const latenciesMs: number[] = [];
const runner = await run({
  connectionString: process.env.DATABASE_URL!,
  schema: process.env.SCHEMA!,
  concurrency,
  noHandleSignals: true,
  pollInterval: 2000,
  taskList: {
    noop: async (payload) => {
      handled++;
      const sent = (payload as { sent?: number } | null)?.sent;
      if (typeof sent === 'number') latenciesMs.push(performance.timeOrigin + performance.now() - sent);
    },
  },
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void runner.stop().then(() => {
  process.stdout.write(`${JSON.stringify({ handled, latenciesMs })}\n`);
  process.exit(0);
}));
