// /api/v1/processes: field names follow SolveXia's public API.
import type { FastifyInstance } from 'fastify';
import { toProcessJson } from '../process/process-json.ts';
import type { ProcessService } from '../process/process-service.ts';
import { MAX_PAGE_SIZE } from '../process/process-service.ts';
import type { Principal } from './bearer.ts';
import { principalOf } from './credential.ts';

export interface ActorNames {
  /** A display name for who made a change: the user's email or the app's name. */
  nameOf(principal: Principal): Promise<string>;
}

const processSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    dateCreated: { type: 'string' },
    dateModified: { type: 'string' },
    lastModifiedBy: { type: 'string' },
  },
} as const;

const errorSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    request_id: { type: 'string' },
    // The field errors of a 422; without this the serializer drops them.
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

const PROCESS_ID = '^p-[a-z0-9]{1,64}$';

export function processRoutes(app: FastifyInstance, deps: { processes: ProcessService; actors: ActorNames }): void {
  const { processes, actors } = deps;

  app.get<{ Params: { id: string } }>('/api/v1/processes/:id', {
    config: { scope: 'process_read' },
    schema: {
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
      response: { 200: processSchema, '4xx': errorSchema },
    },
  }, async (request) => {
    const { id } = request.params;
    return toProcessJson(await processes.get(principalOf(request).workspaceId, id));
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>('/api/v1/processes', {
    config: { scope: 'process_read' },
    schema: {
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 25 },
          cursor: { type: 'string', pattern: PROCESS_ID },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: { data: { type: 'array', items: processSchema }, nextCursor: { type: ['string', 'null'] } },
        },
        '4xx': errorSchema,
      },
    },
  }, async (request) => {
    const page = await processes.list(principalOf(request).workspaceId, request.query.limit, request.query.cursor ?? null);
    return { data: page.items.map(toProcessJson), nextCursor: page.nextCursor };
  });

  app.post<{ Body: { name: string; description?: string } }>('/api/v1/processes', {
    config: { scope: 'process' },
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, description: { type: 'string', maxLength: 5000 } },
      },
      response: { 201: processSchema, '4xx': errorSchema },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const process = await processes.create(principal.workspaceId, request.body, await actors.nameOf(principal));
    return reply.code(201).header('location', `/api/v1/processes/${process.id}`).send(toProcessJson(process));
  });
}
