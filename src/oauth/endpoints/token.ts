// POST /oauth/token (RFC 6749 §3.2). Parameters come form-encoded or as JSON.
import type { FastifyInstance } from 'fastify';
import type { ClientService } from '../../client/client-service.ts';
import type { Grant } from '../grants/grant.ts';
import { authenticateClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const stringParam = { type: 'string', maxLength: 4096 };

const schema = {
  body: {
    type: 'object',
    properties: {
      grant_type: stringParam,
      client_id: stringParam,
      client_secret: stringParam,
      scope: stringParam,
    },
  },
};

export function tokenEndpoint(app: FastifyInstance, deps: { clients: ClientService; grants: Grant[] }): void {
  const grants = new Map(deps.grants.map((g) => [g.type, g]));

  app.post('/oauth/token', { schema, bodyLimit: 16 * 1024 }, async (request, reply) => {
    const params = (request.body ?? {}) as Record<string, string>;
    if (typeof params !== 'object' || Array.isArray(params)) throw new OAuthError('invalid_request', 'the body must be form-encoded parameters');
    const grantType = params.grant_type;
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    const client = await authenticateClient(deps.clients, request.headers.authorization, params);
    const grant = grants.get(grantType);
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
    if (!client.grantTypes.includes(grantType)) {
      throw new OAuthError('unauthorized_client', `this client may not use the ${grantType} grant`);
    }
    const response = await grant.handle({ client, params, ip: request.ip });
    return reply.headers(NO_STORE).send(response);
  });
}
