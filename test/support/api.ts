// The API as a test calls it in process: JSON in and out, a bearer token, and
// every response checked against the server's OpenAPI document.
import assert from 'node:assert/strict';
import type { TestApp } from './app.ts';
import { ResponseValidator, type OpenApiDocument } from './openapi.ts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

const validators = new WeakMap<TestApp, ResponseValidator>();

export async function validatorOf(t: TestApp): Promise<ResponseValidator> {
  let validator = validators.get(t);
  if (!validator) {
    const doc = await t.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    validator = new ResponseValidator(doc.json() as OpenApiDocument);
    validators.set(t, validator);
  }
  return validator;
}

export type Api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => Promise<ApiResponse>;

/** An API client for `token` on the in-process app. */
export function apiClient(t: TestApp, token: string): Api {
  return async (method, url, body) => {
    const response = await t.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    const parsed = response.body === '' ? null : (JSON.parse(response.body) as unknown);
    (await validatorOf(t)).check(method, url, response.statusCode, parsed);
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };
}

/** Polls GET /processruns/{id}/runstatus until the run's status is one of `statuses`. */
export async function waitForRun(api: Api, runId: string, statuses: string[], timeoutMs = 15_000): Promise<ApiResponse> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const response = await api('GET', `/api/v1/processruns/${runId}/runstatus`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    if (statuses.includes(response.body.status as string)) return response;
    if (Date.now() > until) assert.fail(`run ${runId} is ${response.body.status}, not ${statuses.join(' or ')}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until the run's step (by name) has one of `statuses`. */
export async function waitForStep(api: Api, runId: string, name: string, statuses: string[], timeoutMs = 15_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const steps = (await api('GET', `/api/v1/processruns/${runId}/steps`)).body.data as Array<{ name: string; status: string }>;
    const step = steps.find((s) => s.name === name);
    if (step && statuses.includes(step.status)) return step;
    if (Date.now() > until) assert.fail(`step ${name} of ${runId} is ${step?.status}, not ${statuses.join(' or ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const remoteValidators = new Map<string, ResponseValidator>();

/** The same client for a server in its own process (over HTTP). */
export function remoteApi(base: string, token: string): Api {
  return async (method, url, body) => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const parsed = text === '' ? null : (JSON.parse(text) as unknown);
    let validator = remoteValidators.get(base);
    if (!validator) {
      validator = new ResponseValidator(await (await fetch(`${base}/api/v1/openapi.json`)).json() as OpenApiDocument);
      remoteValidators.set(base, validator);
    }
    validator.check(method, url, response.status, parsed);
    return { status: response.status, body: parsed, headers: Object.fromEntries(response.headers) };
  };
}
