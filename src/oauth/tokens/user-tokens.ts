// Tokens issued for a user's authorization (code, password, device grants):
// an access token plus, when the client may refresh, a rotating refresh token.
import type { Client } from '../../client/client.ts';
import type { Authorization, RefreshState } from '../authorization.ts';
import type { Store } from '../../store/store.ts';
import { newId, now } from '../../ids.ts';
import type { TokenResponse } from '../grants/grant.ts';
import { OAuthError } from '../errors.ts';
import type { AccessTokens } from './access-token.ts';
import { rotateFamily, startFamily, type IssuedRefreshToken } from './refresh-family.ts';
import type { RevocationList } from './revocation-list.ts';

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

  /**
   * Records a new authorization of `client` by `userId` for `scopes`, inside
   * the caller's transaction. The user's state is checked here, where tokens
   * are issued: a device code approved, or a code issued, before the user was
   * disabled yields nothing after.
   */
  async authorize(store: Store, userId: string, client: Client, scopes: string[]): Promise<Authorization> {
    if (!(await store.users.lockActive(userId))) throw new OAuthError('invalid_grant', 'the user account is disabled');
    const workspace = await store.workspaces.findPersonal(userId);
    if (!workspace) throw new Error(`user ${userId} has no personal workspace`);
    const authorization: Authorization = {
      id: newId('az-'), userId, clientId: client.clientId, workspaceId: workspace.id, scopes, createdAt: now(), revokedAt: null, refresh: null,
    };
    await store.authorizations.insert(authorization);
    return authorization;
  }

  /**
   * Issues an access token for `scopes` and, when the client may refresh,
   * starts the authorization's refresh-token family.
   */
  async issue(store: Store, authorization: Authorization, client: Client, scopes: string[]): Promise<TokenResponse> {
    const response = this.respond(authorization, client, scopes);
    if (client.grantTypes.includes('refresh_token')) {
      const refresh = startFamily(Date.now(), this.#refreshTtl);
      await store.authorizations.startRefresh(authorization.id, refresh.state);
      response.refresh_token = refresh.token;
    }
    return response;
  }

  /** The successor of the family's current token `current` (not yet stored). */
  nextRefreshToken(current: string, state: RefreshState): IssuedRefreshToken {
    return rotateFamily(current, state, Date.now(), this.#refreshTtl);
  }

  /** The token response: a new access token for `scopes`, with `refreshToken` if given. */
  respond(authorization: Authorization, client: Client, scopes: string[], refreshToken?: string): TokenResponse {
    const access = this.#accessTokens.issueNow({
      subject: authorization.userId,
      clientId: client.clientId,
      scopes,
      workspaceId: authorization.workspaceId,
      authorizationId: authorization.id,
    });
    const response: TokenResponse = { access_token: access.accessToken, token_type: 'Bearer', expires_in: access.expiresIn, scope: scopes.join(' ') };
    if (refreshToken !== undefined) response.refresh_token = refreshToken;
    return response;
  }

  /** When the authorization's refresh family expires (epoch ms); null if it has none or is revoked. */
  async refreshEndsAt(authorizationId: string): Promise<number | null> {
    const authorization = await this.#store.authorizations.findById(authorizationId);
    if (!authorization?.refresh || authorization.revokedAt !== null) return null;
    return Date.parse(authorization.refresh.expiresAt);
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
