// GET /metrics: Prometheus text. Served on the main port (GATEHOUSE_METRICS=on)
// or by a listener of its own (a port number), which an operator can keep
// off the public network; either way optionally behind a bearer token
// (GATEHOUSE_METRICS_TOKEN).
import Fastify, { type FastifyInstance } from 'fastify';
import { hashSecret, secretMatches } from '../security/secrets.ts';

/** What the endpoint serves (Metrics has both). */
export interface MetricsText {
  readonly contentType: string;
  render(): Promise<string>;
}

export const METRICS_PATH = '/metrics';

const SCHEME = /^Bearer +(\S+) *$/i;

const schema = {
  response: {
    200: { type: 'string' },
    401: {
      type: 'object',
      required: ['error', 'message'],
      properties: { error: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
    },
  },
};

/** Adds GET /metrics to `app`; with a token, a scrape must send `Authorization: Bearer <token>`. */
export function metricsRoute(app: FastifyInstance, metrics: MetricsText, token: string | null): void {
  // Compared as SHA-256 hashes, in constant time: neither the token nor its length leaks through timing.
  const tokenHash = token === null ? null : hashSecret(token);
  app.get(METRICS_PATH, { schema }, async (request, reply) => {
    if (tokenHash !== null) {
      const presented = SCHEME.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!secretMatches(presented, tokenHash)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"')
          .send({ error: 'invalid_token', message: 'the metrics need their token (Authorization: Bearer …)', request_id: request.id });
      }
    }
    const text = await metrics.render();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one given for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves /metrics alone on `host`:`port` (GATEHOUSE_METRICS=<port>); every
 * other path is a 404. Start it with the server and close it when the server stops.
 */
export async function startMetricsServer(metrics: MetricsText, port: number, host: string, token: string | null = null): Promise<MetricsServer> {
  const app = Fastify({ logger: false });
  metricsRoute(app, metrics, token);
  await app.listen({ port, host });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () => app.close(),
  };
}
