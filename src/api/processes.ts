// /api/v1/processes: field names follow SolveXia's public API.
import type { FastifyInstance } from 'fastify';
import { toProcessJson } from '../process/process-json.ts';
import type { ProcessService } from '../process/process-service.ts';
import { MAX_PAGE_SIZE } from '../process/process-service.ts';
import type { Principal } from './bearer.ts';
import { principalOf } from './credential.ts';
import { errorResponses, ID, idParam, page } from './schemas.ts';

export interface ActorNames {
  /** A display name for who made a change: the user's email or the app's name. */
  nameOf(principal: Principal): Promise<string>;
}

const TAGS = ['Processes'];
const processRef = { $ref: 'Process#' };
const processBody = {
  type: 'object',
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, description: { type: 'string', maxLength: 5000 } },
} as const;

export function processRoutes(app: FastifyInstance, deps: { processes: ProcessService; actors: ActorNames }): void {
  const { processes, actors } = deps;
  const params = idParam('id', ID.process);

  app.get<{ Params: { id: string } }>('/api/v1/processes/:id', {
    config: { scope: 'process_read' },
    schema: {
      tags: TAGS, summary: 'Read a process',
      // A loose pattern on the hot path: any other id is simply not found.
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
      response: { 200: processRef, ...errorResponses },
    },
  }, async (request) => toProcessJson(await processes.get(principalOf(request).workspaceId, request.params.id)));

  app.get<{ Querystring: { limit: number; cursor?: string } }>('/api/v1/processes', {
    config: { scope: 'process_read' },
    schema: {
      tags: TAGS, summary: 'List the workspace\'s processes',
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 25 },
          cursor: { type: 'string', pattern: ID.process },
        },
      },
      response: { 200: page(processRef), ...errorResponses },
    },
  }, async (request) => {
    const found = await processes.list(principalOf(request).workspaceId, request.query.limit, request.query.cursor ?? null);
    return { data: found.items.map(toProcessJson), nextCursor: found.nextCursor };
  });

  app.post<{ Body: { name: string; description?: string } }>('/api/v1/processes', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Create a process',
      body: { ...processBody, required: ['name'] },
      response: { 201: processRef, ...errorResponses },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const process = await processes.create(principal.workspaceId, request.body, await actors.nameOf(principal));
    return reply.code(201).header('location', `/api/v1/processes/${process.id}`).send(toProcessJson(process));
  });

  // SolveXia updates with POST to the process's URL; PATCH is the same.
  for (const method of ['PATCH', 'POST'] as const) {
    app.route<{ Params: { id: string }; Body: { name?: string; description?: string } }>({
      method,
      url: '/api/v1/processes/:id',
      config: { scope: 'process' },
      schema: {
        tags: TAGS, summary: method === 'PATCH' ? 'Change a process' : 'Change a process (as SolveXia does, with POST)',
        params, body: { ...processBody, minProperties: 1 }, response: { 200: processRef, ...errorResponses },
      },
      handler: async (request) => {
        const principal = principalOf(request);
        return toProcessJson(await processes.update(principal.workspaceId, request.params.id, request.body, await actors.nameOf(principal)));
      },
    });
  }

  app.delete<{ Params: { id: string } }>('/api/v1/processes/:id', {
    config: { scope: 'process' },
    schema: { tags: TAGS, summary: 'Delete a process, its steps and its past runs (409 while a run is active)', params, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    await processes.delete(principalOf(request).workspaceId, request.params.id);
    return reply.code(204).send();
  });
}
