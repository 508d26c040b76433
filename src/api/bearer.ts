// Bearer-token authentication for /api (RFC 6750), and per-route scope checks.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessTokens } from '../oauth/tokens/access-token.ts';
import { InvalidTokenError, type AccessTokenClaims } from '../oauth/tokens/access-token.ts';
import type { RevocationList } from '../oauth/tokens/revocation-list.ts';
import type { PersonalAccessTokenService } from '../pat/pat-service.ts';
import { PAT_PREFIX } from '../pat/token-format.ts';
import { grants } from '../scopes.ts';
import { ApiError } from './errors.ts';

export interface Principal {
  /** A user id, or a client id for client-credentials tokens. */
  subject: string;
  /** The OAuth client, or the personal access token's id. */
  clientId: string;
  kind: 'oauth' | 'pat';
  workspaceId: string;
  scopes: ReadonlySet<string>;
  /** When this credential stops working (epoch ms); null: never (a PAT without expiry). */
  expiresAtMs: number | null;
  /** The authorization (refresh-token family) an OAuth user token belongs to. */
  authorizationId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs. */
    scope?: string;
  }
}

const REALM = 'realm="gatehouse"';

function unauthorized(code: string, message: string, withError: boolean): ApiError {
  const challenge = withError ? `Bearer ${REALM}, error="invalid_token", error_description="${message}"` : `Bearer ${REALM}`;
  return new ApiError(401, code, message, { 'www-authenticate': challenge });
}

const SCHEME = /^Bearer +/i;
/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads `Authorization: Bearer …`; tokens in the query string are never
 * accepted. A token this server has verified before passed the b64token
 * check then, so it is not walked again (800 characters: 4% of a GET,
 * measured with bench:ab).
 */
function bearerToken(request: FastifyRequest, verifiedBefore: (token: string) => boolean): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const scheme = SCHEME.exec(header);
  let end = header.length;
  while (end > 0 && header.charCodeAt(end - 1) === 0x20) end--;
  const token = scheme ? header.slice(scheme[0].length, end) : '';
  if (token === '' || (!verifiedBefore(token) && !B64TOKEN.test(token))) {
    throw unauthorized('invalid_token', 'the Authorization header is not a Bearer token', true);
  }
  return token;
}

export interface BearerDeps {
  accessTokens: AccessTokens;
  revocations: RevocationList;
  pats: PersonalAccessTokenService;
}

export function bearerAuth({ accessTokens: tokens, revocations, pats }: BearerDeps) {
  // A token seen before comes back from the verifier as the same claims object,
  // so its principal (and scope set) is built once, not on every request.
  const principals = new WeakMap<AccessTokenClaims, Principal>();
  const verifiedBefore = (token: string) => tokens.isCached(token);
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request, verifiedBefore);
    if (token === null) throw unauthorized('missing_token', 'an access token is required (Authorization: Bearer …)', false);
    if (token.startsWith(PAT_PREFIX)) {
      const pat = await pats.authenticate(token);
      if (!pat) throw unauthorized('invalid_token', 'the personal access token is invalid, expired or revoked', true);
      request.principal = {
        subject: pat.userId, clientId: pat.tokenId, kind: 'pat', workspaceId: pat.workspaceId, scopes: new Set(pat.scopes), expiresAtMs: pat.expiresAtMs,
      };
      return;
    }
    try {
      const claims = await tokens.verify(token);
      if (revocations.isRevoked(claims)) throw new InvalidTokenError('the access token has been revoked');
      let principal = principals.get(claims);
      if (!principal) {
        principal = {
          subject: claims.sub,
          clientId: claims.client_id,
          kind: 'oauth',
          workspaceId: claims.ws,
          scopes: new Set(claims.scope.split(' ')),
          expiresAtMs: claims.exp * 1000,
          ...(claims.gid ? { authorizationId: claims.gid } : {}),
        };
        principals.set(claims, principal);
      }
      request.principal = principal;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized('invalid_token', error.message, true);
      throw error;
    }
  };
}

/** Refuses the request with 403 unless the principal has the route's scope. */
// Callback style: a synchronous check need not cost a promise per request.
export function requireScope(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  const needed = request.routeOptions.config.scope;
  if (needed && (!request.principal || !grants(request.principal.scopes, needed))) {
    done(new ApiError(403, 'insufficient_scope', `this request needs the ${needed} scope`, {
      'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${needed}"`,
    }));
    return;
  }
  done();
}
