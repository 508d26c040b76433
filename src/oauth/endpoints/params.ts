import type { Ajv } from 'ajv';
import { OAuthError } from '../errors.ts';

// What the OAuth POST endpoints share: their body schema, how the parsed body
// becomes parameters, the size limit, and the no-store headers of every answer.

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export const OAUTH_BODY_LIMIT = 16 * 1024;

/**
 * The parameters these schemas name may be at most 4096 characters long. A
 * format rather than `maxLength`: Ajv's maxLength counts code points one by
 * one, and every walk over the 800-character JWT sent to introspection cost
 * it 3–6% (measured: maxLength, then a VSCHAR pattern, with bench:ab). OAuth
 * parameters are ASCII (RFC 6749 Appendix A), so `.length` is exact; what is
 * not is refused where it is used (an unknown client, an invalid token).
 */
const OAUTH_PARAM_FORMAT = 'oauth-param';
const MAX_PARAM_LENGTH = 4096;

/** What a value breaking OAUTH_PARAM_FORMAT is told. */
export const OAUTH_PARAM_RULE = `must be at most ${MAX_PARAM_LENGTH} characters long`;

/** For Fastify's `ajv.plugins`: the format of OAuth parameters. */
export function addOAuthParamFormat(ajv: Ajv): Ajv {
  return ajv.addFormat(OAUTH_PARAM_FORMAT, { type: 'string', validate: (value: string) => value.length <= MAX_PARAM_LENGTH });
}

const stringParam = { type: 'string', format: OAUTH_PARAM_FORMAT };

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
