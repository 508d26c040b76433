// A pg-boss consumer for the engine benchmark: work() on the queue "noop"
// with a no-op handler, in its own schema, with LISTEN/NOTIFY on. The work
// options come in PGBOSS_WORK (JSON), so the bench gives pg-boss the settings
// that suit it best. It prints "ready" once it works; on SIGTERM it stops
// gracefully and prints how many jobs it ran and, for jobs whose data says
// when they were sent ({sent}), how long each waited to start.
import { performance } from 'node:perf_hooks';
import { PgBoss } from 'pg-boss';

let handled = 0;
const latenciesMs: number[] = [];
const boss = new PgBoss({
  connectionString: process.env.DATABASE_URL!, schema: process.env.SCHEMA!, supervise: false, schedule: false, migrate: false, useListenNotify: true,
});
boss.on('error', (error) => process.stderr.write(`pg-boss: ${String(error)}\n`));
await boss.start();
await boss.work<{ sent?: number }>('noop', JSON.parse(process.env.PGBOSS_WORK ?? '{}'), async (jobs) => {
  const now = performance.timeOrigin + performance.now();
  handled += jobs.length;
  for (const job of jobs) if (typeof job.data?.sent === 'number') latenciesMs.push(now - job.data.sent);
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void boss.stop({ graceful: true }).then(() => {
  process.stdout.write(`${JSON.stringify({ handled, latenciesMs })}\n`);
  process.exit(0);
}));
