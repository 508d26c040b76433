// /api/v1/processes/{id}/steps and /api/v1/steps/{id}: a process's steps,
// in order. `position` (1-based) places a new step or moves one.
import type { FastifyInstance } from 'fastify';
import type { ProcessService, StepInput, StepPatch } from '../process/process-service.ts';
import { toStepJson } from '../process/process-json.ts';
import { STEP_KINDS } from '../process/step.ts';
import { principalOf } from './credential.ts';
import type { ActorNames } from './processes.ts';
import { errorResponses, ID, idParam } from './schemas.ts';

const TAGS = ['Steps'];
const stepRef = { $ref: 'Step#' };
const stepFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  kind: { type: 'string', enum: [...STEP_KINDS] },
  config: { type: 'object', additionalProperties: true, description: 'The kind\'s settings; see the Step schema' },
  timeoutSeconds: { type: ['integer', 'null'], minimum: 1, maximum: 3600 },
  retry: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { maxAttempts: { type: 'integer', minimum: 1, maximum: 20 }, backoffSeconds: { type: 'integer', minimum: 0, maximum: 3600 } },
  },
  position: { type: 'integer', minimum: 1, description: '1-based; a new step goes last when it is left out' },
} as const;

export function stepRoutes(app: FastifyInstance, deps: { processes: ProcessService; actors: ActorNames }): void {
  const { processes, actors } = deps;
  const stepParams = idParam('id', ID.step);

  app.get<{ Params: { id: string } }>('/api/v1/processes/:id/steps', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'A process\'s steps, in order', params: idParam('id', ID.process), response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: stepRef } } }, ...errorResponses } },
  }, async (request) => ({ data: (await processes.steps(principalOf(request).workspaceId, request.params.id)).map(toStepJson) }));

  app.post<{ Params: { id: string }; Body: StepInput }>('/api/v1/processes/:id/steps', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Add a step to the process',
      params: idParam('id', ID.process),
      body: { type: 'object', additionalProperties: false, required: ['name', 'kind', 'config'], properties: stepFields },
      response: { 201: stepRef, ...errorResponses },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const step = await processes.addStep(principal.workspaceId, request.params.id, request.body, await actors.nameOf(principal));
    return reply.code(201).header('location', `/api/v1/steps/${step.id}`).send(toStepJson(step));
  });

  app.get<{ Params: { id: string } }>('/api/v1/steps/:id', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'Read one step', params: stepParams, response: { 200: stepRef, ...errorResponses } },
  }, async (request) => toStepJson(await processes.step(principalOf(request).workspaceId, request.params.id)));

  app.patch<{ Params: { id: string }; Body: StepPatch }>('/api/v1/steps/:id', {
    config: { scope: 'process' },
    schema: {
      tags: TAGS, summary: 'Change a step, or move it with `position`',
      params: stepParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: stepFields },
      response: { 200: stepRef, ...errorResponses },
    },
  }, async (request) => {
    const principal = principalOf(request);
    return toStepJson(await processes.updateStep(principal.workspaceId, request.params.id, request.body, await actors.nameOf(principal)));
  });

  app.delete<{ Params: { id: string } }>('/api/v1/steps/:id', {
    config: { scope: 'process' },
    schema: { tags: TAGS, summary: 'Delete a step (runs under way keep their copy)', params: stepParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    const principal = principalOf(request);
    await processes.deleteStep(principal.workspaceId, request.params.id, await actors.nameOf(principal));
    return reply.code(204).send();
  });
}
