// RFC 6749 §4.1.3 with PKCE (RFC 7636) and the code rules of RFC 9700 §4.2.4:
// single use, short-lived, and a replay revokes everything the code issued.
import type { Store } from '../../store/store.ts';
import { hashSecret, safeEqual } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { OAuthError } from '../errors.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** The S256 code challenge of a verifier (RFC 7636 §4.2): BASE64URL(SHA-256(verifier)). */
export const s256 = hashSecret;

export class AuthorizationCodeGrant implements Grant {
  readonly type = 'authorization_code';
  readonly #store: Store;
  readonly #tokens: UserTokens;

  constructor(store: Store, tokens: UserTokens) {
    this.#store = store;
    this.#tokens = tokens;
  }

  async handle({ client, params }: GrantRequest): Promise<TokenResponse> {
    if (!params.code) throw new OAuthError('invalid_request', 'code is required');
    const invalid = (why: string) => new OAuthError('invalid_grant', why);
    const code = await this.#store.authorizationCodes.findByHash(hashSecret(params.code));
    if (!code || code.clientId !== client.clientId) throw invalid('the authorization code is invalid');

    if (!(await this.#store.authorizationCodes.markUsed(code.codeHash, now()))) {
      // A second use means the code leaked: revoke what the first use issued.
      await this.#tokens.revokeAuthorization(code.authorizationId);
      throw invalid('the authorization code has already been used');
    }
    if (code.expiresAt <= now()) throw invalid('the authorization code has expired');

    if (code.redirectUriSent || params.redirect_uri !== undefined) {
      if (params.redirect_uri !== code.redirectUri) throw invalid('redirect_uri does not match the one used at authorization');
    }

    const verifier = params.code_verifier;
    if (code.codeChallenge !== null) {
      if (verifier === undefined) throw invalid('code_verifier is required: the authorization request carried a code_challenge');
      if (!VERIFIER.test(verifier) || !safeEqual(s256(verifier), code.codeChallenge)) throw invalid('the code_verifier does not match the code_challenge');
    } else if (verifier !== undefined) {
      // A verifier for a code issued without a challenge is a PKCE downgrade attempt.
      throw invalid('code_verifier was sent but the authorization request had no code_challenge');
    }

    return this.#store.transaction(async (tx) => {
      const authorization = await tx.authorizations.findById(code.authorizationId);
      if (!authorization || authorization.revokedAt !== null) throw invalid('the authorization has been revoked');
      return this.#tokens.issue(tx, authorization, client, authorization.scopes);
    });
  }
}
