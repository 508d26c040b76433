import { OAuthError } from '../errors.ts';

// What the OAuth POST endpoints share: their body schema, how the parsed body
// becomes parameters, the size limit, and the no-store headers of every answer.

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export const OAUTH_BODY_LIMIT = 16 * 1024;

const stringParam = { type: 'string', maxLength: 4096 };

/** A route schema whose body names these string parameters; unknown ones pass (and are ignored). */
export function oauthBodySchema(...names: string[]) {
  return { body: { type: 'object', properties: Object.fromEntries(names.map((name) => [name, stringParam])) } };
}

/** The parameters of a parsed form or JSON body. */
export function paramsOf(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new OAuthError('invalid_request', 'the body must be form-encoded parameters');
  return body as Record<string, string>;
}
