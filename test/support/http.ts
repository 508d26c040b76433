// HTTP helpers for behaviour tests: token requests in every encoding, and
// assertions on the two error shapes (RFC 6749 §5.2 and the API's own).
import assert from 'node:assert/strict';
import type { TestServer } from './server.ts';
import { ResponseValidator, type OpenApiDocument } from './openapi.ts';

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  /** The raw body text, for when it is not JSON. */
  text: string;
}

const validators = new Map<string, Promise<ResponseValidator>>();

/**
 * fetch() that reads the body as JSON (when it is JSON) and keeps the raw
 * text. An answer of the REST API is checked against the server's OpenAPI
 * document, so every test that calls the API also tests the document.
 */
export async function fetchJson<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { origin, pathname, search } = new URL(url);
  if (pathname.startsWith('/api/v1/') && !/text\/event-stream/.test(response.headers.get('content-type') ?? '')) {
    if (!validators.has(origin)) validators.set(origin, fetch(`${origin}/api/v1/openapi.json`).then(async (r) => new ResponseValidator(await r.json() as OpenApiDocument)));
    (await validators.get(origin)!).check(init.method ?? 'GET', `${pathname}${search}`, response.status, text === '' ? null : body);
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** RFC 6749 §2.3.1: id and secret are form-encoded, then joined and Base64-encoded. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export interface TokenRequestOptions {
  /** Send these credentials as `Authorization: Basic`. */
  basic?: { clientId: string; clientSecret: string };
  /** Send the parameters as a JSON object instead of a form. */
  json?: boolean;
  /** Send this body text verbatim (with `contentType`). */
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** POST /oauth/token with `params`, form-encoded unless told otherwise. */
export function tokenRequest(server: TestServer, params: Record<string, string>, options: TokenRequestOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.basic) headers.authorization = basicAuthorization(options.basic.clientId, options.basic.clientSecret);
  let body: string;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] = options.contentType ?? 'application/x-www-form-urlencoded';
  } else if (options.json) {
    body = JSON.stringify(params);
    headers['content-type'] = 'application/json';
  } else {
    body = new URLSearchParams(params).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  return fetchJson(`${server.url}/oauth/token`, { method: 'POST', headers, body });
}

/** Asserts an RFC 6749 §5.2 error: status, `error`, and `message` equal to `error_description`. */
export function assertOAuthError(response: JsonResponse, status: number, error: string): void {
  const context = `${response.status} ${response.text}`;
  assert.equal(response.status, status, context);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/, context);
  assert.equal(response.body.error, error, context);
  assert.equal(typeof response.body.error_description, 'string', context);
  assert.ok((response.body.error_description as string).length > 0, context);
  assert.equal(response.body.message, response.body.error_description, context);
  assert.equal(response.body.access_token, undefined, context);
}

/** Asserts an API error: status, `error`, a `message`, and `request_id` equal to the x-request-id header. */
export function assertApiError(response: JsonResponse, status: number, error: string): void {
  const context = `${response.status} ${response.text}`;
  assert.equal(response.status, status, context);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json\b/, context);
  assert.equal(response.body.error, error, context);
  assert.equal(typeof response.body.message, 'string', context);
  assert.ok((response.body.message as string).length > 0, context);
  assert.equal(typeof response.body.request_id, 'string', context);
  assert.ok((response.body.request_id as string).length > 0, context);
  assert.equal(response.headers.get('x-request-id'), response.body.request_id, context);
}

/** GET (or other method) on the API with an optional bearer token. */
export function apiRequest(server: TestServer, path: string, token?: string, init: RequestInit = {}): Promise<JsonResponse> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  return fetchJson(`${server.url}${path}`, { ...init, headers });
}
