// RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2): every use
// returns a new refresh token, and reuse of a rotated one revokes the family.
// One read and one conditional write per refresh (see tokens/refresh-family.ts).
import type { Authorization, Client, Store } from '../../store/store.ts';
import { hashSecret, safeEqual } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { parseScope } from '../../scopes.ts';
import { OAuthError } from '../errors.ts';
import { currentInGrace, refreshHandleOf } from '../tokens/refresh-family.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

const invalid = (why: string) => new OAuthError('invalid_grant', why);

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
    const presented = params.refresh_token;
    if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
    const handle = refreshHandleOf(presented);
    const presentedHash = hashSecret(presented);
    let authorization = await this.#family(handle, client);
    const state = authorization.refresh!;
    if (!safeEqual(presentedHash, state.tokenHash)) return this.#notCurrent(presented, presentedHash, authorization, client, params.scope);

    if (state.expiresAt <= now()) throw invalid('the refresh token has expired');
    const scopes = this.#scopes(authorization, client, params.scope);
    const next = this.#tokens.nextRefreshToken(presented, state);
    if (await this.#store.authorizations.rotateRefresh(authorization.id, state.tokenHash, next.state)) {
      return this.#tokens.respond(authorization, client, scopes, next.token);
    }
    // A concurrent refresh (or a revocation) changed the family since it was read: judge the token again.
    authorization = await this.#family(handle, client);
    return this.#notCurrent(presented, presentedHash, authorization, client, params.scope);
  }

  /** The live authorization of the family `handle` names, if it is this client's. */
  async #family(handle: string | null, client: Client): Promise<Authorization> {
    const authorization = handle === null ? undefined : await this.#store.authorizations.findByRefreshHandle(handle);
    if (!authorization?.refresh || authorization.clientId !== client.clientId) throw invalid('the refresh token is invalid');
    if (authorization.revokedAt !== null) throw invalid('the refresh token has been revoked');
    return authorization;
  }

  /**
   * A token of the family that is not its current one: within the grace
   * window, the one just rotated gets the current token again; anything else
   * is reuse, and revokes the family.
   */
  async #notCurrent(presented: string, presentedHash: string, authorization: Authorization, client: Client, scope: string | undefined): Promise<TokenResponse> {
    const state = authorization.refresh!;
    const current = currentInGrace(presented, presentedHash, state, this.#graceMs, Date.now());
    if (current !== null && state.expiresAt > now()) {
      return this.#tokens.respond(authorization, client, this.#scopes(authorization, client, scope), current);
    }
    await this.#tokens.revokeAuthorization(authorization.id);
    throw invalid('the refresh token has already been used; its whole family is now revoked');
  }

  /** The access token's scopes: as granted, or narrower if asked, less any the client has since lost. */
  #scopes(authorization: Authorization, client: Client, scope: string | undefined): string[] {
    const granted = authorization.scopes;
    const asked = scope === undefined ? granted : parseScope(scope);
    const widened = asked.filter((s) => !granted.includes(s));
    if (widened.length > 0) throw new OAuthError('invalid_scope', `a refresh cannot add scope: ${widened.join(' ')}`);
    // Scopes the client has since lost are dropped, so narrowing an app takes effect at its next refresh.
    const requested = asked.filter((s) => client.scopes.includes(s));
    if (requested.length === 0) throw new OAuthError('invalid_scope', 'none of the requested scopes is allowed for this client any more');
    return requested;
  }
}
