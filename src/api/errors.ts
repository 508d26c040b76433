// The API's error shape: { error, message, request_id } (+ errors on 422).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError, ConflictError, type FieldError } from '../errors.ts';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../store/unavailable.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

function fieldErrorsOf(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
    const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (missing) return { field: path ? `${path}.${missing}` : missing, message: 'is required' };
    if (extra) return { field: path ? `${path}.${extra}` : extra, message: 'is not a known field' };
    return { field: path || (error.validationContext ?? 'body'), message: v.message ?? 'is not valid' };
  });
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/**
 * Maps any thrown error to the API's JSON error; unknown errors become a 500
 * without details. `countFailure` counts the response by its code (metrics).
 */
export function sendApiError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply, countFailure?: (code: string) => void): FastifyReply {
  const body = (status: number, code: string, message: string, extra: object = {}) => {
    countFailure?.(code);
    return reply.code(status).send({ error: code, message, request_id: request.id, ...extra });
  };

  if (error instanceof ApiError) {
    reply.headers(error.headers);
    return body(error.status, error.code, error.message);
  }
  if (error instanceof NotFoundError) return body(404, 'not_found', error.message);
  if (error instanceof ConflictError) return body(409, 'conflict', error.message);
  if (error instanceof ValidationError) return body(422, 'validation_failed', 'the request has invalid fields', { errors: error.errors });
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = fieldErrorsOf(fastifyError);
    return body(422, 'validation_failed', `invalid ${errors.map((e) => `${e.field} (${e.message})`).join(', ')}`, { errors });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) return body(status, CODES[status] ?? 'bad_request', error.message);
  if (isStoreUnavailable(error)) {
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return body(503, 'service_unavailable', 'the server cannot reach its database; try again shortly');
  }
  request.log.error({ err: error }, 'unexpected error');
  return body(500, 'internal_error', 'the server met an unexpected error');
}
