// The public REST API under /api/v1: every route needs a bearer token, and
// says the scope it needs in its config (see bearer.ts).
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { bearerAuth, requireScope, type Principal } from './bearer.ts';
import { sendApiError } from './errors.ts';
import { processRoutes, type ActorNames } from './processes.ts';
import { stepRoutes } from './steps.ts';
import { runRoutes } from './runs.ts';
import { webhookRoutes } from './webhooks.ts';
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
  const countFailure = services.metrics.failures('api');
  app.setErrorHandler((error: FastifyError, request, reply) => sendApiError(error, request, reply, countFailure));
  app.addHook('onRequest', bearerAuth(services));
  app.addHook('preHandler', requireScope);
  const actors = actorNames(services);
  processRoutes(app, { processes: services.processes, actors });
  stepRoutes(app, { processes: services.processes, actors });
  runRoutes(app, { runs: services.runs, actors, notifier: services.notifier });
  webhookRoutes(app, { webhooks: services.webhooks });
  meRoutes(app, services);
  tokenRoutes(app, { pats: services.pats, clients: services.clients, userTokens: services.userTokens });
}
