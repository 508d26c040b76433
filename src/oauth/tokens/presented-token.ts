// Identifies a token presented to the revocation or introspection endpoint.
// Refresh tokens and access tokens differ in form (a `ghr_` prefix against a
// JWT), so no `token_type_hint` is needed to find either.
import type { Authorization, RefreshToken, Store } from '../../store/store.ts';
import { hashSecret } from '../../security/secrets.ts';
import { InvalidTokenError, type AccessTokenClaims, type AccessTokens } from './access-token.ts';
import { REFRESH_TOKEN_PREFIX } from './user-tokens.ts';

export type PresentedToken =
  | { kind: 'access_token'; claims: AccessTokenClaims }
  | { kind: 'refresh_token'; token: RefreshToken; authorization: Authorization };

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The refresh token (found by hash, whatever its state) or the access token
 * (signature, `iss`, `aud` and `exp` verified) that `value` is; null if neither.
 */
export async function findPresentedToken(deps: { store: Store; accessTokens: AccessTokens }, value: string): Promise<PresentedToken | null> {
  if (value.startsWith(REFRESH_TOKEN_PREFIX)) {
    const token = await deps.store.refreshTokens.findByHash(hashSecret(value));
    const authorization = token && await deps.store.authorizations.findById(token.authorizationId);
    return token && authorization ? { kind: 'refresh_token', token, authorization } : null;
  }
  if (!JWT.test(value)) return null;
  try {
    return { kind: 'access_token', claims: await deps.accessTokens.verify(value) };
  } catch (error) {
    if (error instanceof InvalidTokenError) return null;
    throw error;
  }
}
