// RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2): every use
// returns a new refresh token, and reuse of a rotated one revokes the family.
import type { Store } from '../../store/store.ts';
import { hashSecret } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { parseScope } from '../../scopes.ts';
import { OAuthError } from '../errors.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

const REUSED = Symbol('reused');

export class RefreshTokenGrant implements Grant {
  readonly type = 'refresh_token';
  readonly #store: Store;
  readonly #tokens: UserTokens;
  readonly #graceMs: number;

  /** `graceSeconds`: how long a just-rotated token still works, for concurrent refreshes. */
  constructor(store: Store, tokens: UserTokens, graceSeconds: number) {
    this.#store = store;
    this.#tokens = tokens;
    this.#graceMs = graceSeconds * 1000;
  }

  async handle({ client, params }: GrantRequest): Promise<TokenResponse> {
    if (!params.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const invalid = (why: string) => new OAuthError('invalid_grant', why);
    const token = await this.#store.refreshTokens.findByHash(hashSecret(params.refresh_token));
    if (!token) throw invalid('the refresh token is invalid');
    const authorization = await this.#store.authorizations.findById(token.authorizationId);
    if (!authorization || authorization.clientId !== client.clientId) throw invalid('the refresh token is invalid');
    if (authorization.revokedAt !== null) throw invalid('the refresh token has been revoked');
    if (token.expiresAt <= now()) throw invalid('the refresh token has expired');

    const asked = params.scope === undefined ? token.scopes : parseScope(params.scope);
    const widened = asked.filter((s) => !token.scopes.includes(s));
    if (widened.length > 0) throw new OAuthError('invalid_scope', `a refresh cannot add scope: ${widened.join(' ')}`);
    // Scopes the client has since lost are dropped, so narrowing an app takes effect at its next refresh.
    const requested = asked.filter((s) => client.scopes.includes(s));
    if (requested.length === 0) throw new OAuthError('invalid_scope', 'none of the requested scopes is allowed for this client any more');

    // Rotation and the new token commit together: one write transaction per refresh.
    const outcome = await this.#store.transaction(async (tx) => {
      if (!(await tx.refreshTokens.markRotated(token.tokenHash, now()))) {
        const rotatedAt = (await tx.refreshTokens.findByHash(token.tokenHash))?.rotatedAt;
        const withinGrace = rotatedAt != null && Date.now() - Date.parse(rotatedAt) < this.#graceMs;
        if (!withinGrace) return REUSED;
      }
      // RFC 6749 §6: a narrower access token, but the new refresh token keeps the old one's scope.
      return this.#tokens.issue(tx, authorization, client, requested, token.scopes);
    });
    if (outcome === REUSED) {
      // Outside the transaction above, which wrote nothing: the family's revocation must land.
      await this.#tokens.revokeAuthorization(authorization.id);
      throw invalid('the refresh token has already been used; its whole family is now revoked');
    }
    return outcome;
  }
}
