// `gatehouse serve`: the HTTP server on the configured port, its janitor, and
// its stop: on SIGTERM or SIGINT (or when the process that started it dies)
// it stops accepting, lets requests and steps in flight finish, gives back
// the runs it holds, and exits, within GATEHOUSE_SHUTDOWN_SECONDS.
import type { Config } from './config.ts';
import { createServices } from './services.ts';
import { buildApp } from './app.ts';
import { totalOf } from './ops/janitor.ts';
import { watchParent } from './ops/parent-watch.ts';
import { startMetricsServer } from './metrics/endpoint.ts';

export async function serve(config: Config): Promise<void> {
  const database = config.databaseUrl.split(':', 1)[0];
  const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
  // Start-up fails in one line (the CLI prints it) rather than hanging or starting half-able.
  const services = await createServices(config).catch((error: unknown) => {
    throw new Error(`cannot start on the ${database} database: ${reason(error)}`);
  });
  // A read-only file or replica would start, say it is healthy, then fail every write.
  await services.store.checkWritable().catch(async (error: unknown) => {
    await services.close();
    throw new Error(`the ${database} database cannot be written: ${reason(error)}`);
  });
  const app = await buildApp(services);
  // The change feed (revocations from other nodes and the CLI), the notifier, the run engine and the webhook dispatcher.
  await services.startBackground(app.log);

  // /metrics on a port of its own, if so configured (kept off the public network).
  const metricsServer = typeof config.metrics === 'number'
    ? await startMetricsServer(services.metrics, config.metrics, config.host, config.metricsToken)
    : undefined;

  const purge = () => void services.janitor.run()
    .then((counts) => {
      if (!counts) return;
      services.metrics.janitorLastRun.setToCurrentTime();
      if (totalOf(counts) > 0) app.log.info({ deleted: counts }, 'purged expired rows');
    })
    .catch((error: unknown) => services.store.availability.failed(error) || app.log.error({ err: error }, 'purging expired rows failed'));
  const janitor = setInterval(purge, config.janitorIntervalSeconds * 1000);
  janitor.unref();
  setTimeout(purge, 5_000).unref();

  /** Stops accepting and finishes requests, while the workers finish or give back their runs; then closes the store. */
  const stopAll = async (deadlineMs: number) => {
    clearInterval(janitor);
    await Promise.allSettled([app.close(), services.stopBackground(deadlineMs), metricsServer?.close()]);
    await services.close();
  };

  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    const deadlineMs = config.shutdownSeconds * 1000;
    app.log.info({ reason: why, deadlineSeconds: config.shutdownSeconds }, 'shutting down');
    // Past the deadline, whatever still holds on is cut, and the process exits anyway.
    const overdue = setTimeout(() => {
      app.log.warn('the shutdown deadline passed: closing the connections still open');
      app.server.closeAllConnections();
      setTimeout(() => process.exit(1), 1000).unref();
    }, deadlineMs + 500);
    overdue.unref();
    await stopAll(deadlineMs);
    clearTimeout(overdue);
    app.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // Started by a wrapper (npm, npx, a shell) that was stopped without telling us: stop too.
  watchParent(() => void shutdown('the parent process exited'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // A port in use, say: the workers must not go on without a server, keeping the process alive.
    await stopAll(0);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // First run (no user in the store): one line with a one-time URL to create the
  // first admin. It carries a secret on purpose, the one exception to "no secrets
  // in logs" (test/logging.test.ts checks every other kind); only its hash is kept.
  // Logged before the line below, which the test harness waits for.
  const setupToken = await services.firstRun.begin();
  if (setupToken) {
    const url = `${config.issuer}/setup?token=${setupToken}`;
    app.log.warn(`No user exists yet: create the first admin at ${url} (works once, until the server restarts)`);
    // The same as a plain line on stderr, for a person reading a terminal rather than JSON.
    process.stderr.write(`\nNo user exists yet. Open this one-time link to create the first admin:\n\n    ${url}\n\n`);
  }
  app.log.info({ issuer: config.issuer, port, database }, `Gatehouse is listening on http://${config.host}:${port}`);
}
