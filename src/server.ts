// `gatehouse serve`: the HTTP server on the configured port.
import type { Config } from './config.ts';
import { createServices } from './services.ts';
import { buildApp } from './app.ts';

export async function serve(config: Config): Promise<void> {
  const services = await createServices(config);
  // Revocations written by other nodes or the CLI reach this one by polling.
  await services.revocations.start();
  const app = await buildApp(services);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  app.log.info({ issuer: config.issuer, port, database: config.databaseUrl.split(':', 1)[0] }, `Gatehouse is listening on http://${config.host}:${port}`);
}
