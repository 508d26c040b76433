// Health for load balancers and orchestrators. /healthz: the process answers
// (liveness: restart it if not). /readyz: the database answers and every
// migration this code knows is applied (readiness: send it traffic only then).
import type { FastifyInstance } from 'fastify';
import { RETRY_AFTER_SECONDS } from '../store/unavailable.ts';

export interface Readiness {
  ready(): Promise<{ ready: boolean; reason?: string }>;
}

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'ready', 'not_ready'] }, reason: { type: 'string' } },
} as const;

export function healthRoutes(app: FastifyInstance, store: Readiness): void {
  app.get('/healthz', { schema: { response: { 200: statusSchema } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: statusSchema, 503: statusSchema } } }, async (_request, reply) => {
    const { ready, reason } = await store.ready();
    reply.header('cache-control', 'no-store');
    if (ready) return { status: 'ready' };
    return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ status: 'not_ready', reason });
  });
}
