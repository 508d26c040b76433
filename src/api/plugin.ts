// The public REST API under /api/v1: every route needs a bearer token.
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { bearerAuth, requireScope, type Principal } from './bearer.ts';
import { sendApiError } from './errors.ts';
import { processRoutes, type ActorNames } from './processes.ts';
import { meRoutes } from './me.ts';
import { tokenRoutes } from './tokens.ts';

function actorNames(services: Services): ActorNames {
  return {
    async nameOf(principal: Principal): Promise<string> {
      if (principal.subject === principal.clientId) {
        const client = await services.clients.find(principal.clientId);
        return client ? client.name : principal.clientId;
      }
      return (await services.users.requireById(principal.subject).catch(() => null))?.email ?? principal.subject;
    },
  };
}

export async function apiPlugin(app: FastifyInstance, services: Services): Promise<void> {
  app.decorateRequest('principal', null);
  app.setErrorHandler((error: FastifyError, request, reply) => sendApiError(error, request, reply));
  app.addHook('onRequest', bearerAuth(services));
  app.addHook('preHandler', requireScope);
  processRoutes(app, { processes: services.processes, actors: actorNames(services) });
  meRoutes(app, services);
  tokenRoutes(app, { pats: services.pats, clients: services.clients, userTokens: services.userTokens });
}
