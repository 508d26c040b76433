// POST /oauth/introspect (RFC 7662), for confidential clients authenticated by
// their secret. A client may introspect only tokens issued to itself: every
// other token answers {active:false}, as does anything unknown, malformed,
// expired, revoked or rotated (§2.2). Gatehouse's own API verifies tokens
// locally; there are no separate resource servers that would need to see
// other clients' tokens, and this keeps one app from learning about another's
// users. `token_type_hint` is ignored, as at /oauth/revoke.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import { invalidClient, type ClientAuthenticator } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { RevocationList } from '../tokens/revocation-list.ts';
import { findPresentedToken, type PresentedToken } from '../tokens/presented-token.ts';
import { NO_STORE, OAUTH_BODY_LIMIT, paramsOf } from './params.ts';
import { tokenParamsSchema } from './revoke.ts';

export interface IntrospectionDeps {
  clientAuth: ClientAuthenticator;
  store: Store;
  accessTokens: AccessTokens;
  revocations: RevocationList;
  issuer: string;
}

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

function describe(found: PresentedToken | null, clientId: string, deps: IntrospectionDeps): Record<string, unknown> {
  const inactive = { active: false };
  if (found?.kind === 'access_token') {
    const { claims } = found;
    if (claims.client_id !== clientId || deps.revocations.isRevoked(claims)) return inactive;
    const { scope, client_id, sub, exp, iat, iss, aud, jti } = claims;
    return { active: true, scope, client_id, sub, exp, iat, iss, aud, jti, token_type: 'Bearer' };
  }
  if (found?.kind === 'refresh_token') {
    const { authorization, current } = found;
    const { refresh } = authorization;
    const live = current && authorization.clientId === clientId && authorization.revokedAt === null && Date.parse(refresh.expiresAt) > Date.now();
    if (!live) return inactive;
    // No token_type: RFC 6749 §5.1 types name access tokens (oidc-provider omits it too).
    return {
      active: true, scope: authorization.scopes.join(' '), client_id: authorization.clientId, sub: authorization.userId,
      exp: seconds(refresh.expiresAt), iat: seconds(refresh.issuedAt), iss: deps.issuer,
    };
  }
  return inactive;
}

export function introspectionEndpoint(app: FastifyInstance, deps: IntrospectionDeps): void {
  app.post('/oauth/introspect', { schema: tokenParamsSchema, bodyLimit: OAUTH_BODY_LIMIT }, async (request, reply) => {
    const params = paramsOf(request.body);
    const client = await deps.clientAuth.authenticate(request, params);
    if (client.isPublic) throw invalidClient('introspection needs a confidential client authenticated by its secret', false);
    if (!params.token) throw new OAuthError('invalid_request', 'token is required');
    const found = await findPresentedToken(deps, params.token);
    return reply.headers(NO_STORE).send(describe(found, client.clientId, deps));
  });
}
