// /api/v1/users/me/authorized-apps: the apps that may act for the token's
// user. Only the user's own credentials may call it (api/credential.ts): a
// third-party app may not list or cut off the user's other apps. No scope is
// needed beyond that; only the user's own grants are touched.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { listAuthorizedApps } from '../oauth/authorized-apps.ts';
import { accountOwner } from './credential.ts';
import { ApiError } from './errors.ts';
import { errorResponses } from './schemas.ts';
import { apiAuditContext } from './audit-context.ts';

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
    schema: { tags: ['Account'], summary: 'The apps that may act for the token\'s user (a PAT or a first-party app\'s token only)', response: { 200: { type: 'object', properties: { data: { type: 'array', items: appSchema } } }, ...errorResponses } },
  }, async (request) => {
    const apps = await listAuthorizedApps(services, (await accountOwner(request, services.clients)).subject);
    return { data: apps.map((a) => ({ client_id: a.clientId, name: a.name, scopes: a.scopes, authorized_at: a.authorizedAt })) };
  });

  app.delete<{ Params: { client_id: string } }>('/api/v1/users/me/authorized-apps/:client_id', {
    schema: {
      tags: ['Account'], summary: 'Revoke an app\'s access: its consent and every token it holds for the user',
      params: { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] },
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const userId = (await accountOwner(request, services.clients)).subject;
    if (!(await services.consents.revoke(userId, request.params.client_id, apiAuditContext(request)))) {
      throw new ApiError(404, 'not_found', `app ${request.params.client_id} has no access to this account`);
    }
    return reply.code(204).send();
  });
}
