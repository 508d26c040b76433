// GET /.well-known/jwks.json: the public signing keys.
import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../keys/key-ring.ts';

export function jwksEndpoint(app: FastifyInstance, deps: { keys: KeyRing }): void {
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').send(deps.keys.jwks()));
}
