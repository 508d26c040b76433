// Assembles the HTTP server from its plugins. Each plugin gets the services
// it needs and sets its own error format.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Services } from './services.ts';
import { loggerOptions } from './http/logger.ts';
import { registerFormParser } from './http/form-body.ts';
import { oauthPlugin } from './oauth/plugin.ts';
import { apiPlugin } from './api/plugin.ts';
import { authorizePlugin } from './oauth/authorize-plugin.ts';
import { portalPlugin } from './portal/plugin.ts';
import { sendApiError } from './api/errors.ts';
import { registerPageLayer } from './web/page-layer.ts';
import { notFound, pageErrorHandler, sendErrorPage, wantsHtml } from './web/error-page.ts';
import { addOAuthParamFormat } from './oauth/endpoints/params.ts';
import { openApiRoute, registerOpenApi } from './api/openapi.ts';
import { endAllStreams } from './runs/event-stream.ts';
import { recordRequests, recordUnmatched } from './metrics/http-requests.ts';
import { metricsRoute } from './metrics/endpoint.ts';
import { healthRoutes } from './ops/health-routes.ts';

export interface AppOptions {
  /** Where logs go; standard output by default. */
  logStream?: NodeJS.WritableStream;
}

export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const countApiFailure = services.metrics.failures('api');
  const app = Fastify({
    ...loggerOptions(services.config.logLevel, options.logStream),
    genReqId: () => randomUUID(),
    // Never trust a client-chosen request id.
    requestIdHeader: false,
    // Forwarded headers count only from configured proxies (RFC 9700 §4.13).
    trustProxy: services.config.trustProxy.length > 0 ? services.config.trustProxy : false,
    // A malformed or over-long URL fails before routing: the same error shapes as everything else.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      return wantsHtml(request) ? pageErrorHandler(error, request, reply) : sendApiError(error, request, reply, countApiFailure);
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true }, plugins: [addOAuthParamFormat] },
    // A client gets so long to send its request, then its connection is closed:
    // half-sent requests (slowloris) cannot pile up. Checked every second.
    requestTimeout: services.config.requestTimeoutSeconds * 1000,
    http: { headersTimeout: services.config.headersTimeoutSeconds * 1000, connectionsCheckingInterval: 1000 },
  });

  registerFormParser(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Every response, by route pattern, method and status, for /metrics; with metrics off, none is timed.
  const metricsOn = services.config.metrics !== 'off';
  if (metricsOn) recordRequests(app, services.metrics.httpRequests);
  // An outage's errors reach the store's availability (one log line per outage); each handler answers them 503.
  app.addHook('onError', (_request, _reply, error, done) => {
    services.store.availability.failed(error);
    done();
  });
  // Errors before any route is chosen (a 414, a malformed URL): a page for a browser, JSON otherwise.
  app.setErrorHandler((error: FastifyError, request, reply) => (wantsHtml(request) ? pageErrorHandler(error, request, reply) : sendApiError(error, request, reply, countApiFailure)));
  // A mistyped address in a browser gets the portal's 404 page; API clients get JSON.
  app.setNotFoundHandler((request, reply) => {
    if (metricsOn) recordUnmatched(services.metrics.httpRequests, request, reply);
    if (wantsHtml(request)) return sendErrorPage(reply, notFound());
    countApiFailure('not_found');
    return reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?', 1)[0]}`, request_id: request.id });
  });

  // Live event streams would hold a stop open for ever: they end first, and clients resume elsewhere.
  app.addHook('preClose', (done) => {
    endAllStreams();
    done();
  });
  await registerOpenApi(app, services.config.issuer);
  healthRoutes(app, services.store);
  if (services.config.metrics === 'main') metricsRoute(app, services.metrics, services.config.metricsToken);
  openApiRoute(app);
  await app.register(async (scope) => oauthPlugin(scope, services));
  await app.register(async (scope) => apiPlugin(scope, services));
  // Every page is in one scope, the page layer (sessions, CSRF, errors); the
  // token endpoint and the API (the hot paths) stay outside it, so they never
  // parse a cookie.
  await app.register(async (pages) => {
    await registerPageLayer(pages, { sessions: services.sessions, issuer: services.config.issuer });
    authorizePlugin(pages, services);
    portalPlugin(pages, services);
  });
  return app;
}
