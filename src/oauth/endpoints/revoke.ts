// POST /oauth/revoke (RFC 7009). Clients authenticate as at the token endpoint
// (public clients by client_id alone). The answer is 200 with an empty body
// whether or not anything was revoked (§2.2): an unknown, malformed, expired
// or another client's token is left alone and reveals nothing.
// `token_type_hint` is accepted and ignored, whatever its value: the two kinds
// of token differ in form, so the server always finds the token without it
// (§2.1 lets the server search beyond the hint; an unknown hint is no error).
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { ClientAuthenticator } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import type { AccessTokens } from '../tokens/access-token.ts';
import type { RevocationList } from '../tokens/revocation-list.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import { findPresentedToken } from '../tokens/presented-token.ts';
import { NO_STORE, OAUTH_BODY_LIMIT, oauthBodySchema, paramsOf } from './params.ts';

/** The body schema of the revocation and introspection endpoints. */
export const tokenParamsSchema = oauthBodySchema('token', 'token_type_hint', 'client_id', 'client_secret');

export interface RevocationDeps {
  clientAuth: ClientAuthenticator;
  store: Store;
  accessTokens: AccessTokens;
  revocations: RevocationList;
  userTokens: UserTokens;
}

export function revocationEndpoint(app: FastifyInstance, deps: RevocationDeps): void {
  app.post('/oauth/revoke', { schema: tokenParamsSchema, bodyLimit: OAUTH_BODY_LIMIT }, async (request, reply) => {
    const params = paramsOf(request.body);
    const client = await deps.clientAuth.authenticate(request, params);
    if (!params.token) throw new OAuthError('invalid_request', 'token is required');
    const found = await findPresentedToken(deps, params.token);
    if (found?.kind === 'refresh_token' && found.authorization.clientId === client.clientId) {
      // §2.1: revoking a refresh token also ends the access tokens of its grant.
      await deps.userTokens.revokeAuthorization(found.authorization.id);
    } else if (found?.kind === 'access_token' && found.claims.client_id === client.clientId && !deps.revocations.isRevoked(found.claims)) {
      // Only this access token: its refresh token (if any) stays valid (§2.1 makes that optional).
      const remaining = found.claims.exp - Math.floor(Date.now() / 1000);
      await deps.revocations.revoke('jti', found.claims.jti, Math.max(remaining, 0));
    }
    return reply.code(200).headers(NO_STORE).send();
  });
}
