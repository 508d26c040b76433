// The JSON schemas the API's routes share. They validate requests, shape
// responses (fast-json-stringify drops what they do not name) and make the
// OpenAPI document (@fastify/swagger), so they say everything a client sees.
import { RUN_STATUSES, STEP_STATUSES } from '../runs/run.ts';
import { STEP_KINDS } from '../process/step.ts';
import { WEBHOOK_EVENTS } from '../webhooks/webhook.ts';

const string = { type: 'string' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every API error: a code, a sentence, and the request id (also in x-request-id); `errors` lists the fields of a 422.',
  required: ['error', 'message', 'request_id'],
  properties: {
    error: { type: 'string', description: 'A stable code, e.g. not_found, validation_failed, insufficient_scope' },
    message: string,
    request_id: string,
    // The field errors of a 422; without this the serializer drops them.
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: string, message: string } },
    },
  },
} as const;

export const errorResponses = { '4xx': { $ref: 'Error#' } } as const;

export const processSchema = {
  $id: 'Process',
  type: 'object',
  required: ['id', 'name', 'description', 'dateCreated', 'dateModified', 'lastModifiedBy'],
  properties: {
    id: { type: 'string', description: 'p-…' },
    name: string,
    description: string,
    dateCreated: dateTime,
    dateModified: dateTime,
    lastModifiedBy: { type: 'string', description: 'The email of the user, or the name of the app, that made the last change' },
  },
} as const;

export const stepSchema = {
  $id: 'Step',
  type: 'object',
  required: ['id', 'processId', 'position', 'name', 'kind', 'config', 'timeoutSeconds', 'retry', 'dateCreated', 'dateModified'],
  properties: {
    id: { type: 'string', description: 'st-…' },
    processId: string,
    position: { type: 'integer', minimum: 1 },
    name: string,
    kind: { type: 'string', enum: [...STEP_KINDS] },
    config: {
      type: 'object',
      additionalProperties: true,
      description: 'By kind: http {method, url, headers?, body?, resultKey?}; transform {expression, resultKey}; delay {seconds}; approval {deadlineSeconds?, message?}. Strings of http steps may hold {{ JSONata }} templates over the run\'s data.',
    },
    timeoutSeconds: { type: ['integer', 'null'] },
    retry: { $ref: 'RetryPolicy#' },
    dateCreated: dateTime,
    dateModified: dateTime,
  },
} as const;

export const retrySchema = {
  $id: 'RetryPolicy',
  type: 'object',
  required: ['maxAttempts', 'backoffSeconds'],
  properties: {
    maxAttempts: { type: 'integer', minimum: 1, maximum: 20, description: 'Attempts in all (1: no retry)' },
    backoffSeconds: { type: 'integer', minimum: 0, maximum: 3600, description: 'Before the second attempt; doubled before each one after' },
  },
} as const;

export const runStatusSchema = {
  $id: 'RunStatus',
  type: 'object',
  required: ['id', 'status', 'dateStarted', 'dateFinished', 'runDurationInSeconds'],
  properties: {
    id: { type: 'string', description: 'pr-…' },
    status: { type: 'string', enum: [...RUN_STATUSES] },
    dateStarted: nullableDateTime,
    dateFinished: nullableDateTime,
    runDurationInSeconds: { type: ['number', 'null'] },
  },
} as const;

export const runSchema = {
  $id: 'ProcessRun',
  type: 'object',
  required: ['id', 'processId', 'name', 'status', 'data', 'dateCreated', 'dateStarted', 'dateFinished', 'runDurationInSeconds', 'createdBy'],
  properties: {
    ...runStatusSchema.properties,
    processId: string,
    name: string,
    data: { type: 'object', additionalProperties: true, description: 'The data the run was given, plus each finished step\'s result under its resultKey' },
    dateCreated: dateTime,
    createdBy: string,
  },
} as const;

export const stepRunSchema = {
  $id: 'StepRun',
  type: 'object',
  required: ['id', 'stepId', 'name', 'kind', 'position', 'status', 'attempts', 'dateStarted', 'dateFinished', 'completionMessage', 'output', 'waitingUntil'],
  properties: {
    id: { type: 'string', description: 'sr-…: this step in this run' },
    stepId: { type: 'string', description: 'st-…: the process\'s step' },
    name: string,
    kind: { type: 'string', enum: [...STEP_KINDS] },
    position: { type: 'integer' },
    status: { type: 'string', enum: [...STEP_STATUSES] },
    attempts: { type: 'integer' },
    dateStarted: nullableDateTime,
    dateFinished: nullableDateTime,
    completionMessage: nullableString,
    output: { description: 'The step\'s result (JSON), or null' },
    waitingUntil: { ...nullableDateTime, description: 'A delay\'s end, an approval\'s deadline, or when a retry is due' },
  },
} as const;

export const stepRunStatusSchema = {
  $id: 'StepRunStatus',
  type: 'object',
  required: ['id', 'stepRunId', 'name', 'status', 'completionMessage', 'attempts', 'dateStarted', 'dateFinished'],
  properties: {
    id: { type: 'string', description: 'st-…' },
    stepRunId: string,
    name: string,
    status: { type: 'string', enum: [...STEP_STATUSES] },
    completionMessage: nullableString,
    attempts: { type: 'integer' },
    dateStarted: nullableDateTime,
    dateFinished: nullableDateTime,
  },
} as const;

export const runEventSchema = {
  $id: 'RunEvent',
  type: 'object',
  required: ['id', 'runId', 'type', 'at', 'stepId', 'stepRunId', 'attempt', 'message', 'data'],
  properties: {
    id: { type: 'integer', description: 'Increasing; the SSE stream\'s event id (Last-Event-ID)' },
    runId: string,
    type: { type: 'string', description: 'run.created, run.started, step.started, step.succeeded, step.warning, step.failed, step.retry_scheduled, step.interrupted, step.waiting, step.approved, step.rejected, step.cancelled, run.finished, run.failed, run.timed_out, run.cancelled, run.restarted' },
    at: dateTime,
    stepId: nullableString,
    stepRunId: nullableString,
    attempt: { type: ['integer', 'null'] },
    message: nullableString,
    data: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

export const webhookEndpointSchema = {
  $id: 'WebhookEndpoint',
  type: 'object',
  required: ['id', 'url', 'description', 'events', 'disabled', 'dateCreated', 'dateModified'],
  properties: {
    id: { type: 'string', description: 'we-…' },
    url: string,
    description: string,
    events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] } },
    disabled: { type: 'boolean' },
    dateCreated: dateTime,
    dateModified: dateTime,
    secret: { type: 'string', description: 'whsec_…: returned only when the endpoint is made or its secret rotated' },
  },
} as const;

export const webhookMessageSchema = {
  $id: 'WebhookMessage',
  type: 'object',
  required: ['id', 'type', 'status', 'attempts', 'dateCreated', 'nextAttempt', 'dateDelivered', 'lastError', 'payload', 'deliveries'],
  properties: {
    id: { type: 'string', description: 'The webhook-id header, the same on every attempt' },
    type: string,
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    dateCreated: dateTime,
    nextAttempt: nullableDateTime,
    dateDelivered: nullableDateTime,
    lastError: nullableString,
    payload: { type: 'object', additionalProperties: true },
    deliveries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['attempt', 'at', 'statusCode', 'error', 'durationMs'],
        properties: { attempt: { type: 'integer' }, at: dateTime, statusCode: { type: ['integer', 'null'] }, error: nullableString, durationMs: { type: 'integer' } },
      },
    },
  },
} as const;

/** Every shared schema, added to the API scope with addSchema (so `$ref: 'Name#'` works, and OpenAPI lists them). */
export const SHARED_SCHEMAS = [errorSchema, processSchema, retrySchema, stepSchema, runStatusSchema, runSchema, stepRunSchema, stepRunStatusSchema, runEventSchema, webhookEndpointSchema, webhookMessageSchema];

export const idParam = (name: string, pattern: string) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', maxLength: 100, pattern } },
}) as const;

export const ID = { process: '^p-[a-z0-9]{1,64}$', step: '^st-[a-z0-9]{1,64}$', run: '^pr-[a-z0-9]{1,64}$', stepRef: '^(st|sr)-[a-z0-9]{1,64}$', webhook: '^we-[a-z0-9]{1,64}$', message: '^msg_[a-z0-9]{1,64}$' };

export const page = (item: object) => ({
  type: 'object',
  required: ['data', 'nextCursor'],
  properties: { data: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last' } },
}) as const;
