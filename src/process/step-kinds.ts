// What a step's `config` must be, per kind, checked when a step is created or
// changed, so a run never meets a step it cannot execute:
//   http       {method, url, headers?, body?, resultKey?}
//   transform  {expression, resultKey}
//   delay      {seconds}
//   approval   {deadlineSeconds?, message?}
// Strings of http steps may hold {{ expression }} templates (runs/template.ts);
// JSONata expressions are compiled here to refuse syntax errors early.
import type { FieldError } from '../errors.ts';
import { expressionProblem } from '../runs/jsonata-sandbox.ts';
import { templateProblems } from '../runs/template.ts';
import type { RetryPolicy, StepKind } from './step.ts';
import { STEP_KINDS } from './step.ts';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
const RESULT_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Headers a step may not set: they belong to the connection, or to the engine. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'idempotency-key', 'upgrade']);
export const MAX_DELAY_SECONDS = 30 * 86_400;
export const MAX_TIMEOUT_SECONDS = 3600;
export const DEFAULT_TIMEOUT_SECONDS: Record<StepKind, number | null> = { http: 30, transform: 5, delay: null, approval: null };

export const isStepKind = (value: unknown): value is StepKind => typeof value === 'string' && (STEP_KINDS as readonly string[]).includes(value);

type Config = Record<string, unknown>;
const isObject = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v);
const wholeNumber = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function unknownFields(config: Config, allowed: string[], errors: FieldError[]): void {
  for (const key of Object.keys(config)) if (!allowed.includes(key)) errors.push({ field: `config.${key}`, message: `is not a field of this kind of step (it has: ${allowed.join(', ')})` });
}

function resultKey(config: Config, required: boolean, errors: FieldError[]): void {
  if (config.resultKey === undefined && !required) return;
  if (typeof config.resultKey !== 'string' || !RESULT_KEY.test(config.resultKey)) {
    errors.push({ field: 'config.resultKey', message: 'must be a name of letters, digits and _ (at most 64), not starting with a digit: the key the result is stored under in the run\'s data' });
  }
}

const CHECKS: Record<StepKind, (config: Config, errors: FieldError[]) => void> = {
  http(config, errors) {
    unknownFields(config, ['method', 'url', 'headers', 'body', 'resultKey'], errors);
    if (typeof config.method !== 'string' || !(HTTP_METHODS as readonly string[]).includes(config.method.toUpperCase())) {
      errors.push({ field: 'config.method', message: `must be one of ${HTTP_METHODS.join(', ')}` });
    }
    if (typeof config.url !== 'string' || config.url.length === 0 || config.url.length > 4000) errors.push({ field: 'config.url', message: 'must be a URL of at most 4000 characters' });
    else {
      for (const problem of templateProblems(config.url)) errors.push({ field: 'config.url', message: problem });
      if (!/^https?:\/\//i.test(config.url)) errors.push({ field: 'config.url', message: 'must start with http:// or https://' });
    }
    if (config.headers !== undefined) {
      if (!isObject(config.headers)) errors.push({ field: 'config.headers', message: 'must be an object of header names to strings' });
      else for (const [name, value] of Object.entries(config.headers)) {
        if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) errors.push({ field: `config.headers.${name}`, message: 'is not a header a step may set' });
        else if (typeof value !== 'string' || value.length > 8000 || /[\r\n]/.test(value)) errors.push({ field: `config.headers.${name}`, message: 'must be a string of one line' });
        else for (const problem of templateProblems(value)) errors.push({ field: `config.headers.${name}`, message: problem });
      }
    }
    if (config.body !== undefined && JSON.stringify(config.body).length > 100_000) errors.push({ field: 'config.body', message: 'must be at most 100,000 characters of JSON' });
    resultKey(config, false, errors);
  },
  transform(config, errors) {
    unknownFields(config, ['expression', 'resultKey'], errors);
    if (typeof config.expression !== 'string' || config.expression.trim() === '' || config.expression.length > 20_000) {
      errors.push({ field: 'config.expression', message: 'must be a JSONata expression of at most 20,000 characters' });
    } else {
      const problem = expressionProblem(config.expression);
      if (problem) errors.push({ field: 'config.expression', message: `is not valid JSONata: ${problem}` });
    }
    resultKey(config, true, errors);
  },
  delay(config, errors) {
    unknownFields(config, ['seconds'], errors);
    if (!wholeNumber(config.seconds, 1, MAX_DELAY_SECONDS)) errors.push({ field: 'config.seconds', message: `must be a whole number of seconds from 1 to ${MAX_DELAY_SECONDS}` });
  },
  approval(config, errors) {
    unknownFields(config, ['deadlineSeconds', 'message'], errors);
    if (config.deadlineSeconds !== undefined && !wholeNumber(config.deadlineSeconds, 1, MAX_DELAY_SECONDS)) {
      errors.push({ field: 'config.deadlineSeconds', message: `must be a whole number of seconds from 1 to ${MAX_DELAY_SECONDS}` });
    }
    if (config.message !== undefined && (typeof config.message !== 'string' || config.message.length > 2000)) errors.push({ field: 'config.message', message: 'must be a string of at most 2000 characters' });
  },
};

/** The problems with a step's kind, config, timeout and retry policy; empty when it can run. */
export function stepProblems(input: { kind: unknown; config: unknown; timeoutSeconds?: unknown; retry?: unknown }): FieldError[] {
  const errors: FieldError[] = [];
  if (!isStepKind(input.kind)) {
    errors.push({ field: 'kind', message: `must be one of ${STEP_KINDS.join(', ')}` });
    return errors;
  }
  if (!isObject(input.config)) errors.push({ field: 'config', message: 'must be an object' });
  else CHECKS[input.kind](input.config, errors);
  if (input.timeoutSeconds !== undefined && input.timeoutSeconds !== null && !wholeNumber(input.timeoutSeconds, 1, MAX_TIMEOUT_SECONDS)) {
    errors.push({ field: 'timeoutSeconds', message: `must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}, or null` });
  }
  if (input.retry !== undefined && input.retry !== null) {
    const retry = input.retry as Partial<RetryPolicy>;
    if (!isObject(input.retry)) errors.push({ field: 'retry', message: 'must be an object {maxAttempts, backoffSeconds}' });
    else {
      if (!wholeNumber(retry.maxAttempts, 1, 20)) errors.push({ field: 'retry.maxAttempts', message: 'must be a whole number from 1 (no retry) to 20' });
      if (retry.backoffSeconds !== undefined && !wholeNumber(retry.backoffSeconds, 0, 3600)) errors.push({ field: 'retry.backoffSeconds', message: 'must be a whole number of seconds from 0 to 3600' });
    }
  }
  return errors;
}
