// /api/v1/processes/{id}/processruns and /api/v1/processruns/...: runs in
// SolveXia's shape. Reading needs process_read; creating, starting,
// cancelling, restarting, approving and rejecting need process_execute
// (which `process` includes).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RunService, NewRun } from '../runs/run-service.ts';
import { MAX_RUN_PAGE } from '../runs/run-service.ts';
import { FINAL_RUN_STATUSES, RUN_STATUSES, type RunStatus } from '../runs/run.ts';
import { toEventJson, toRunJson, toRunStatusJson, toStepRunJson, toStepRunStatusJson } from '../runs/run-json.ts';
import { streamRunEvents } from '../runs/event-stream.ts';
import type { Notifier } from '../runs/notifier.ts';
import { principalOf } from './credential.ts';
import type { ActorNames } from './processes.ts';
import { errorResponses, ID, idParam, page } from './schemas.ts';
import { apiAuditContext } from './audit-context.ts';

const TAGS = ['Process runs'];
const runRef = { $ref: 'ProcessRun#' };
const runParams = idParam('id', ID.run);
const stepParams = {
  type: 'object',
  required: ['id', 'stepId'],
  properties: { id: { type: 'string', maxLength: 100, pattern: ID.run }, stepId: { type: 'string', maxLength: 100, pattern: ID.stepRef, description: 'The process step\'s id (st-…) or the step run\'s (sr-…)' } },
} as const;
const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_RUN_PAGE, default: 25 },
    cursor: { type: 'string', pattern: ID.run },
    status: { type: 'string', enum: [...RUN_STATUSES] },
  },
} as const;
const decisionBody = { type: ['object', 'null'], additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2000 } } } as const;

/** Whether the client asked for a live stream. */
const wantsStream = (request: FastifyRequest) => /\btext\/event-stream\b/.test(request.headers.accept ?? '');

export function runRoutes(app: FastifyInstance, deps: { runs: RunService; actors: ActorNames; notifier: Notifier }): void {
  const { runs, actors } = deps;
  const who = (request: FastifyRequest) => actors.nameOf(principalOf(request));
  const ws = (request: FastifyRequest) => principalOf(request).workspaceId;

  app.post<{ Params: { id: string }; Body: NewRun | undefined }>('/api/v1/processes/:id/processruns', {
    config: { scope: 'process_execute' },
    schema: {
      tags: TAGS,
      summary: 'Create a run of the process; it starts only with `start: true` (or POST …/start)',
      params: idParam('id', ID.process),
      body: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          namePrefix: { type: 'string', minLength: 1, maxLength: 150 },
          data: { type: 'object', additionalProperties: true, description: 'The run\'s data; steps read it and add their results' },
          start: { type: 'boolean', default: false },
        },
      },
      response: { 201: runRef, ...errorResponses },
    },
  }, async (request, reply) => {
    const run = await runs.create(ws(request), request.params.id, request.body ?? {}, await who(request));
    return reply.code(201).header('location', `/api/v1/processruns/${run.id}`).send(toRunJson(run));
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; cursor?: string; status?: RunStatus } }>('/api/v1/processes/:id/processruns', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'The process\'s runs, newest first, filterable by status', params: idParam('id', ID.process), querystring: listQuery, response: { 200: page(runRef), ...errorResponses } },
  }, async (request) => {
    const found = await runs.list(ws(request), { processId: request.params.id, status: request.query.status }, request.query.limit, request.query.cursor ?? null);
    return { data: found.items.map(toRunJson), nextCursor: found.nextCursor };
  });

  app.get<{ Querystring: { limit: number; cursor?: string; status?: RunStatus } }>('/api/v1/processruns', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'Every run of the workspace, newest first, filterable by status', querystring: listQuery, response: { 200: page(runRef), ...errorResponses } },
  }, async (request) => {
    const found = await runs.list(ws(request), { status: request.query.status }, request.query.limit, request.query.cursor ?? null);
    return { data: found.items.map(toRunJson), nextCursor: found.nextCursor };
  });

  app.get<{ Params: { id: string } }>('/api/v1/processruns/:id', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'Read a run, with its data', params: runParams, response: { 200: runRef, ...errorResponses } },
  }, async (request) => toRunJson(await runs.get(ws(request), request.params.id)));

  app.get<{ Params: { id: string } }>('/api/v1/processruns/:id/runstatus', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'A run\'s status', params: runParams, response: { 200: { $ref: 'RunStatus#' }, ...errorResponses } },
  }, async (request) => toRunStatusJson(await runs.get(ws(request), request.params.id)));

  app.post<{ Params: { id: string } }>('/api/v1/processruns/:id/start', {
    config: { scope: 'process_execute' },
    schema: { tags: TAGS, summary: 'Start a run that was created without starting (409 otherwise)', params: runParams, response: { 200: { $ref: 'RunStatus#' }, ...errorResponses } },
  }, async (request) => toRunStatusJson(await runs.start(ws(request), request.params.id, await who(request))));

  app.get<{ Params: { id: string } }>('/api/v1/processruns/:id/steps', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'A run\'s steps, with their status, attempts, results and messages', params: runParams, response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { $ref: 'StepRun#' } } } }, ...errorResponses } },
  }, async (request) => ({ data: (await runs.steps(ws(request), request.params.id)).map(toStepRunJson) }));

  app.get<{ Params: { id: string; stepId: string } }>('/api/v1/processruns/:id/steps/:stepId/runstatus', {
    config: { scope: 'process_read' },
    schema: { tags: TAGS, summary: 'One step\'s status in a run, with its completionMessage', params: stepParams, response: { 200: { $ref: 'StepRunStatus#' }, ...errorResponses } },
  }, async (request) => toStepRunStatusJson(await runs.step(ws(request), request.params.id, request.params.stepId)));

  app.post<{ Params: { id: string } }>('/api/v1/processruns/:id/cancel', {
    config: { scope: 'process_execute' },
    schema: { tags: TAGS, summary: 'Cancel a run at once (409 if it is over)', params: runParams, response: { 200: { $ref: 'RunStatus#' }, ...errorResponses } },
  }, async (request) => toRunStatusJson(await runs.cancel(ws(request), request.params.id, await who(request), apiAuditContext(request))));

  app.post<{ Params: { id: string; stepId: string } }>('/api/v1/processruns/:id/steps/:stepId/restartfromhere', {
    config: { scope: 'process_execute' },
    schema: { tags: TAGS, summary: 'Run this step and every one after it again (the run must be over)', params: stepParams, response: { 200: { $ref: 'RunStatus#' }, ...errorResponses } },
  }, async (request) => toRunStatusJson(await runs.restartFrom(ws(request), request.params.id, request.params.stepId, await who(request))));

  for (const decision of ['approve', 'reject'] as const) {
    app.post<{ Params: { id: string; stepId: string }; Body: { comment?: string } | null | undefined }>(`/api/v1/processruns/:id/steps/:stepId/${decision}`, {
      config: { scope: 'process_execute' },
      schema: {
        tags: TAGS, summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a waiting approval step, with an optional comment`,
        params: stepParams, body: decisionBody, response: { 200: { $ref: 'RunStatus#' }, ...errorResponses },
      },
    }, async (request) => toRunStatusJson(await runs.decide(ws(request), request.params.id, request.params.stepId, decision === 'approve', request.body?.comment ?? null, await who(request), apiAuditContext(request))));
  }

  app.get<{ Params: { id: string }; Querystring: { after: number; limit: number } }>('/api/v1/processruns/:id/events', {
    config: { scope: 'process_read' },
    schema: {
      tags: TAGS,
      summary: 'The run\'s timeline; with Accept: text/event-stream, a live stream that resumes from Last-Event-ID and ends when the run ends',
      params: runParams,
      querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0, default: 0 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 } } },
      headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      response: { 200: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { $ref: 'RunEvent#' } } } }, ...errorResponses },
    },
  }, async (request, reply: FastifyReply) => {
    const workspaceId = ws(request);
    const runId = request.params.id;
    const run = await runs.get(workspaceId, runId);
    if (!wantsStream(request)) return { data: (await runs.events(workspaceId, runId, request.query.after, request.query.limit)).map(toEventJson) };
    const lastEventId = Number(request.headers['last-event-id'] ?? request.query.after);
    reply.hijack();
    await streamRunEvents(reply.raw, {
      runId: run.id,
      after: (afterId) => runs.events(workspaceId, runId, afterId, 500),
      isOver: async () => FINAL_RUN_STATUSES.has((await runs.get(workspaceId, runId)).status),
    }, deps.notifier, lastEventId, { 'x-request-id': request.id });
    return reply;
  });
}
