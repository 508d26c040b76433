// /api/v1/webhooks: the workspace's endpoints (the secret is in the answer
// only when it is made or rotated), test deliveries, the delivery log and
// redelivery. Managing them needs `process`; reading the log, process_read.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { EndpointInput, EndpointPatch, WebhookService } from '../webhooks/webhook-service.ts';
import type { WebhookDelivery, WebhookEndpoint, WebhookMessage } from '../webhooks/webhook.ts';
import { WEBHOOK_EVENTS } from '../webhooks/webhook.ts';
import { principalOf } from './credential.ts';
import { errorResponses, ID, idParam } from './schemas.ts';

const TAGS = ['Webhooks'];
const endpointRef = { $ref: 'WebhookEndpoint#' };
const params = idParam('id', ID.webhook);
const fields = {
  url: { type: 'string', minLength: 1, maxLength: 2000 },
  events: { type: 'array', minItems: 1, maxItems: WEBHOOK_EVENTS.length, items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
  description: { type: 'string', maxLength: 500 },
} as const;

export const toEndpointJson = (e: WebhookEndpoint, secret?: string) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  disabled: e.disabledAt !== null,
  dateCreated: e.createdAt,
  dateModified: e.updatedAt,
  ...(secret ? { secret } : {}),
});

export const toMessageJson = (m: WebhookMessage & { deliveries: WebhookDelivery[] }) => ({
  id: m.id,
  type: m.eventType,
  status: m.status,
  attempts: m.attempts,
  dateCreated: m.createdAt,
  nextAttempt: m.nextAttemptAt,
  dateDelivered: m.deliveredAt,
  lastError: m.lastError,
  payload: JSON.parse(m.payload) as object,
  deliveries: m.deliveries.map((d) => ({ attempt: d.attempt, at: d.at, statusCode: d.statusCode, error: d.error, durationMs: d.durationMs })),
});

export function webhookRoutes(app: FastifyInstance, deps: { webhooks: WebhookService }): void {
  const { webhooks } = deps;
  const ws = (request: FastifyRequest) => principalOf(request).workspaceId;

  app.get('/api/v1/webhooks', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'The workspace\'s webhook endpoints', response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: endpointRef } } }, ...errorResponses } },
  }, async (request) => ({ data: (await webhooks.list(ws(request))).map((e) => toEndpointJson(e)) }));

  app.post<{ Body: EndpointInput }>('/api/v1/webhooks', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Register an endpoint; the answer holds its signing secret, shown this once',
      body: { type: 'object', additionalProperties: false, required: ['url', 'events'], properties: fields },
      response: { 201: endpointRef, ...errorResponses },
    },
  }, async (request, reply) => {
    const { endpoint, secret } = await webhooks.create(ws(request), request.body);
    return reply.code(201).header('cache-control', 'no-store').header('location', `/api/v1/webhooks/${endpoint.id}`).send(toEndpointJson(endpoint, secret));
  });

  app.get<{ Params: { id: string } }>('/api/v1/webhooks/:id', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'Read an endpoint', params, response: { 200: endpointRef, ...errorResponses } },
  }, async (request) => toEndpointJson(await webhooks.get(ws(request), request.params.id)));

  app.patch<{ Params: { id: string }; Body: EndpointPatch }>('/api/v1/webhooks/:id', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Change an endpoint, or disable it',
      params, body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { ...fields, disabled: { type: 'boolean' } } },
      response: { 200: endpointRef, ...errorResponses },
    },
  }, async (request) => toEndpointJson(await webhooks.update(ws(request), request.params.id, request.body)));

  app.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', {
    config: { scope: 'process' },
    schema: { tags: TAGS, summary: 'Delete an endpoint and its log', params, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    await webhooks.delete(ws(request), request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/api/v1/webhooks/:id/rotate-secret', {
    config: { scope: 'process' },
    schema: { tags: TAGS, summary: 'A new signing secret, shown this once; the old one stops at once', params, response: { 200: endpointRef, ...errorResponses } },
  }, async (request, reply) => {
    const { endpoint, secret } = await webhooks.rotateSecret(ws(request), request.params.id);
    return reply.header('cache-control', 'no-store').send(toEndpointJson(endpoint, secret));
  });

  app.post<{ Params: { id: string } }>('/api/v1/webhooks/:id/test', {
    config: { scope: 'process' },
    schema: { tags: TAGS, summary: 'Send a test message (type webhook.test)', params, response: { 202: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, ...errorResponses } },
  }, async (request, reply) => reply.code(202).send({ id: (await webhooks.sendTest(ws(request), request.params.id)).id }));

  app.get<{ Params: { id: string } }>('/api/v1/webhooks/:id/messages', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'The endpoint\'s latest messages, newest first, each with its delivery attempts', params, response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { $ref: 'WebhookMessage#' } } } }, ...errorResponses } },
  }, async (request) => ({ data: (await webhooks.log(ws(request), request.params.id)).map(toMessageJson) }));

  app.post<{ Params: { id: string; messageId: string } }>('/api/v1/webhooks/:id/messages/:messageId/redeliver', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Send a message again now, with the same webhook-id',
      params: { type: 'object', required: ['id', 'messageId'], properties: { id: { type: 'string', pattern: ID.webhook }, messageId: { type: 'string', pattern: ID.message } } },
      response: { 202: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, ...errorResponses },
    },
  }, async (request, reply) => reply.code(202).send({ id: (await webhooks.redeliver(ws(request), request.params.id, request.params.messageId)).id }));
}
