// `gatehouse serve`: the HTTP server on the configured port.
import type { Config } from './config.ts';
import { createServices } from './services.ts';
import { buildApp } from './app.ts';

const JANITOR_INTERVAL_MS = 10 * 60 * 1000;

export async function serve(config: Config): Promise<void> {
  const services = await createServices(config);
  const app = await buildApp(services);
  // The change feed (revocations from other nodes and the CLI), the notifier, the run engine and the webhook dispatcher.
  await services.startBackground(app.log);
  // The janitor: expired codes, sessions, refresh tokens and the like are
  // deleted in small batches every few minutes, never by loading a table.
  const purge = () => void services.store.purgeExpired(new Date().toISOString())
    .then((deleted) => deleted > 0 && app.log.info({ deleted }, 'purged expired rows'))
    .catch((error: unknown) => app.log.error({ err: error }, 'purging expired rows failed'));
  setInterval(purge, JANITOR_INTERVAL_MS).unref();
  setTimeout(purge, 5_000).unref();
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await services.close(config.shutdownSeconds * 1000);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
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
  app.log.info({ issuer: config.issuer, port, database: config.databaseUrl.split(':', 1)[0] }, `Gatehouse is listening on http://${config.host}:${port}`);
}
