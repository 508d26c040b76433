// A strict application/x-www-form-urlencoded parser. OAuth 2.1 requires a
// repeated parameter to be refused (RFC 6749 §3.1), so repeats are an error
// here rather than silently merged.
import { errorCodes, type FastifyInstance } from 'fastify';

export class DuplicateParameterError extends Error {
  readonly statusCode = 400;
  readonly parameter: string;
  constructor(parameter: string) {
    super(`the parameter "${parameter}" is repeated`);
    this.parameter = parameter;
  }
}

export function parseForm(body: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of new URLSearchParams(body)) {
    if (key in params) throw new DuplicateParameterError(key);
    params[key] = value;
  }
  return params;
}

export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * For the OAuth endpoints: a body sent with no Content-Type at all is read as
 * a form, because Python's requests sends `data='a=b&…'` that way (the seed
 * guide's password script). Any other unknown type is still refused (415).
 */
export function registerUntypedFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] !== undefined) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type']), undefined);
      return;
    }
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
