// Tokens issued for a user's authorization (code, password, device grants):
// an access token plus, when the client may refresh, a rotating refresh token.
import type { Authorization, Client, Store } from '../../store/store.ts';
import { hashSecret, randomToken } from '../../security/secrets.ts';
import { newId, now } from '../../ids.ts';
import type { TokenResponse } from '../grants/grant.ts';
import type { AccessTokens } from './access-token.ts';
import type { RevocationList } from './revocation-list.ts';

export const REFRESH_TOKEN_PREFIX = 'ghr_';

export class UserTokens {
  readonly #store: Store;
  readonly #accessTokens: AccessTokens;
  readonly #revocations: RevocationList;
  readonly #refreshTtl: number;
  readonly #accessTtl: number;

  constructor(options: { store: Store; accessTokens: AccessTokens; revocations: RevocationList; refreshTtlSeconds: number; accessTtlSeconds: number }) {
    this.#store = options.store;
    this.#accessTokens = options.accessTokens;
    this.#revocations = options.revocations;
    this.#refreshTtl = options.refreshTtlSeconds;
    this.#accessTtl = options.accessTtlSeconds;
  }

  /** Records a new authorization of `client` by `userId` for `scopes`. */
  async authorize(store: Store, userId: string, client: Client, scopes: string[]): Promise<Authorization> {
    const workspace = await store.workspaces.findPersonal(userId);
    if (!workspace) throw new Error(`user ${userId} has no personal workspace`);
    const authorization: Authorization = {
      id: newId('az-'), userId, clientId: client.clientId, workspaceId: workspace.id, scopes, createdAt: now(), revokedAt: null,
    };
    await store.authorizations.insert(authorization);
    return authorization;
  }

  /**
   * Issues an access token for `scopes`, and a refresh token for
   * `refreshScopes` if the client has the refresh_token grant.
   */
  async issue(store: Store, authorization: Authorization, client: Client, scopes: string[], refreshScopes = scopes): Promise<TokenResponse> {
    const access = this.#accessTokens.issue({
      subject: authorization.userId,
      clientId: client.clientId,
      scopes,
      workspaceId: authorization.workspaceId,
      authorizationId: authorization.id,
    });
    const response: TokenResponse = { access_token: access.accessToken, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
    if (client.grantTypes.includes('refresh_token')) {
      const refreshToken = REFRESH_TOKEN_PREFIX + randomToken(32);
      await store.refreshTokens.insert({
        tokenHash: hashSecret(refreshToken),
        authorizationId: authorization.id,
        scopes: refreshScopes,
        expiresAt: new Date(Date.now() + this.#refreshTtl * 1000).toISOString(),
        rotatedAt: null,
        createdAt: now(),
      });
      response.refresh_token = refreshToken;
    }
    return response;
  }

  /**
   * Revokes an authorization: its refresh tokens stop working (they check the
   * authorization) and its access tokens are refused until they expire.
   */
  async revokeAuthorization(authorizationId: string, store: Store = this.#store): Promise<void> {
    await store.transaction(async (tx) => {
      if (await tx.authorizations.revoke(authorizationId, now())) {
        await this.#revocations.revoke('authorization', authorizationId, this.#accessTtl, tx);
      }
    });
  }
}
