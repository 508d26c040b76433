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

export class NonStringParameterError extends Error {
  readonly statusCode = 400;
  readonly parameter: string;
  constructor(parameter: string) {
    super(`the parameter "${parameter}" must be a string`);
    this.parameter = parameter;
  }
}

/**
 * A name or value as URLSearchParams (WHATWG) reads it: '+' is a space, then
 * %XX is decoded as UTF-8. Most need nothing done, and the rest are decoded
 * natively; URLSearchParams's own parser is a loop in JavaScript over every
 * character, which on an introspection's 800-character token was a
 * measurable share of the request.
 */
function decodePart(raw: string): string {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    // Malformed escapes stay as they are and bad UTF-8 becomes U+FFFD: URLSearchParams knows how.
    return new URLSearchParams(`x=${raw}`).get('x')!;
  }
}

export function parseForm(text: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  // As URLSearchParams: a lone surrogate becomes U+FFFD (text decoded from UTF-8 has none).
  const body = text.toWellFormed();
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start) {
      // Searched within the pair only: a body of many '&' cannot make this quadratic.
      const pair = body.slice(start, end);
      const eq = pair.indexOf('=');
      const name = decodePart(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decodePart(pair.slice(eq + 1));
      if (name in params) throw new DuplicateParameterError(name);
      params[name] = value;
    }
    start = end + 1;
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

/** The member names of a JSON object's top level, in order, repeats included. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const token = text.slice(i, end + 1);
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      if (depth === 1 && text[next] === ':') keys.push(JSON.parse(token) as string);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

/**
 * For the OAuth endpoints: JSON bodies (SolveXia's docs send them) get the
 * same rule as forms, so a repeated member is refused rather than the last
 * one silently winning.
 */
export function registerStrictJsonParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = JSON.parse(body as string);
    } catch {
      done(Object.assign(new Error('the body is not valid JSON'), { statusCode: 400 }), undefined);
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const seen = new Set<string>();
      for (const key of topLevelKeys(body as string)) {
        // Fastify's own parser refuses these too (prototype poisoning).
        if (key === '__proto__' || key === 'constructor') {
          done(Object.assign(new Error(`the member "${key}" is not allowed`), { statusCode: 400 }), undefined);
          return;
        }
        if (seen.has(key)) {
          done(new DuplicateParameterError(key), undefined);
          return;
        }
        seen.add(key);
      }
      // OAuth parameters are strings (a form has nothing else). A number, list
      // or object must not reach hashing or argon2, which throw on them.
      for (const [key, member] of Object.entries(value)) {
        if (typeof member !== 'string') {
          done(new NonStringParameterError(key), undefined);
          return;
        }
      }
    }
    done(null, value);
  });
}
