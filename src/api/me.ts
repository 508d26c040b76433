// /api/v1/users/me/authorized-apps: the apps that may act for the token's user.
// A token that acts for a user is required (not a client-credentials token),
// and it must come from a first-party app or be the user's personal access
// token: a third-party app may not list or cut off the user's other apps.
// No scope is needed beyond that; only the user's own grants are touched.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { listAuthorizedApps } from '../oauth/authorized-apps.ts';
import { ApiError } from './errors.ts';

async function accountOwner(request: FastifyRequest, services: Services): Promise<string> {
  const principal = request.principal;
  if (!principal) throw new Error('route reached without authentication');
  if (principal.kind === 'pat') return principal.subject;
  if (principal.subject === principal.clientId) {
    throw new ApiError(403, 'user_token_required', 'this endpoint needs a token that acts for a user; a client-credentials token acts for the app itself');
  }
  const client = await services.clients.find(principal.clientId);
  if (!client?.firstParty) {
    throw new ApiError(403, 'first_party_required', "only the operator's first-party apps may manage a user's authorized apps");
  }
  return principal.subject;
}

const appSchema = {
  type: 'object',
  properties: {
    client_id: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    authorized_at: { type: 'string' },
  },
} as const;

export function meRoutes(app: FastifyInstance, services: Services): void {
  app.get('/api/v1/users/me/authorized-apps', {
    schema: { response: { 200: { type: 'object', properties: { data: { type: 'array', items: appSchema } } } } },
  }, async (request) => {
    const apps = await listAuthorizedApps(services, await accountOwner(request, services));
    return { data: apps.map((a) => ({ client_id: a.clientId, name: a.name, scopes: a.scopes, authorized_at: a.authorizedAt })) };
  });

  app.delete<{ Params: { client_id: string } }>('/api/v1/users/me/authorized-apps/:client_id', {
    schema: { params: { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] } },
  }, async (request, reply) => {
    const userId = await accountOwner(request, services);
    if (!(await services.consents.revoke(userId, request.params.client_id))) {
      throw new ApiError(404, 'not_found', `app ${request.params.client_id} has no access to this account`);
    }
    return reply.code(204).send();
  });
}
