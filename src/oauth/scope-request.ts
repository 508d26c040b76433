import { parseScope } from '../scopes.ts';
import { OAuthError } from './errors.ts';

/**
 * The scopes to grant for a requested `scope` parameter: the client's
 * defaults when none is asked, and only scopes in `allowed` otherwise.
 */
export function resolveScopes(requested: string | undefined, allowed: string[], defaults: string[]): string[] {
  if (requested === undefined || requested.trim() === '') {
    if (defaults.length === 0) throw new OAuthError('invalid_scope', 'no scope was requested and the client has no default scope');
    return defaults;
  }
  if (!/^[\x21\x23-\x5B\x5D-\x7E ]+$/.test(requested)) throw new OAuthError('invalid_scope', 'the scope parameter has characters RFC 6749 §3.3 forbids');
  const scopes = parseScope(requested);
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
  return scopes;
}
