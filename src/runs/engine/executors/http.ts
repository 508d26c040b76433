// http: a request built from the run's data (templates), sent through the
// guarded outbound client (no private or loopback addresses, checked on the
// address connected to and on every redirect), with the same Idempotency-Key
// on every attempt of this step of this run. The response (status, a few
// headers, JSON or text up to a cap) is the step's result; a status outside
// 2xx fails the step.
import type { OutboundHttp } from '../../../net/outbound.ts';
import { OutboundRefused } from '../../../net/outbound.ts';
import { ExpressionError } from '../../jsonata-sandbox.ts';
import type { TemplateRenderer } from '../../template.ts';
import type { StepContext, StepExecutor, StepOutcome } from '../executor.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_RESPONSE_BYTES = 256 * 1024;
/** The response headers a step's result keeps. */
const KEPT_HEADERS = ['content-type', 'content-length', 'location', 'etag', 'last-modified', 'retry-after', 'x-request-id'];

export class HttpStep implements StepExecutor {
  readonly kind = 'http';
  readonly sideEffects = true;
  readonly #http: OutboundHttp;
  readonly #templates: TemplateRenderer;
  readonly #userAgent: string;

  constructor(deps: { http: OutboundHttp; templates: TemplateRenderer; userAgent: string }) {
    this.#http = deps.http;
    this.#templates = deps.templates;
    this.#userAgent = deps.userAgent;
  }

  async start({ run, step, signal }: StepContext): Promise<StepOutcome> {
    const config = step.config as { method: string; url: string; headers?: Record<string, string>; body?: unknown };
    const timeoutMs = step.timeoutSeconds === null ? DEFAULT_TIMEOUT_MS : step.timeoutSeconds * 1000;
    let url: string;
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, 'idempotency-key': step.idempotencyKey };
    let body: string | undefined;
    try {
      url = await this.#templates.string(config.url, run.data, encodeURIComponent);
      for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = await this.#templates.string(value, run.data);
      if (config.body !== undefined) {
        body = JSON.stringify(await this.#templates.json(config.body, run.data));
        headers['content-type'] ??= 'application/json';
      }
    } catch (error) {
      if (error instanceof ExpressionError) return { kind: 'failed', message: `a template failed: ${error.message}` };
      throw error;
    }
    const started = Date.now();
    let response;
    try {
      response = await this.#http.request({ method: config.method, url, headers, body, signal, timeoutMs, maxBodyBytes: MAX_RESPONSE_BYTES });
    } catch (error) {
      if (error instanceof OutboundRefused) return { kind: 'failed', message: `refused: ${error.message}` };
      const name = (error as Error).name;
      if (name === 'TimeoutError' || (name === 'AbortError' && !signal.aborted)) return { kind: 'failed', message: `no answer within ${timeoutMs / 1000} s`, timedOut: true };
      if (signal.aborted) return { kind: 'failed', message: 'aborted' };
      return { kind: 'failed', message: `the request failed: ${(error as Error).message}` };
    }
    const ms = Date.now() - started;
    const kept: Record<string, string> = {};
    for (const name of KEPT_HEADERS) if (response.headers[name] !== undefined) kept[name] = response.headers[name]!;
    const output = { status: response.status, headers: kept, body: parseBody(response.body, response.headers['content-type']), truncated: response.truncated };
    if (response.status < 200 || response.status > 299) {
      return { kind: 'failed', message: `${config.method.toUpperCase()} ${response.url} answered ${response.status} in ${ms} ms` };
    }
    return {
      kind: 'done',
      output,
      message: `${config.method.toUpperCase()} ${response.url} answered ${response.status} in ${ms} ms${response.truncated ? `; the body was cut at ${MAX_RESPONSE_BYTES} bytes` : ''}`,
      warning: response.truncated,
    };
  }

  resume(context: StepContext): Promise<StepOutcome> {
    return this.start(context);
  }
}

function parseBody(text: string, type: string | undefined): unknown {
  if (type && /\bjson\b/i.test(type)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
