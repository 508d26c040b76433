// RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2): every use
// returns a new refresh token, and reuse of a rotated one revokes the family.
// One read and one conditional write per refresh (see tokens/refresh-family.ts);
// a family this node rotated last is known here, and then the write alone.
import type { Client } from '../../client/client.ts';
import type { Authorization, RefreshState } from '../authorization.ts';
import type { Store } from '../../store/store.ts';
import { ReadCache } from '../../store/read-cache.ts';
import { hashSecret, safeEqual } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { parseScope } from '../../scopes.ts';
import { OAuthError } from '../errors.ts';
import { currentInGrace, refreshHandleOf } from '../tokens/refresh-family.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

const invalid = (why: string) => new OAuthError('invalid_grant', why);

type Family = Authorization & { refresh: RefreshState };

export class RefreshTokenGrant implements Grant {
  readonly type = 'refresh_token';
  readonly #store: Store;
  readonly #tokens: UserTokens;
  readonly #graceMs: number;
  /**
   * Families as this node last rotated them, by handle. Only ever a shortcut
   * for the token this node issued last: the conditional update still decides
   * (it fails if the family moved on elsewhere, was revoked or is gone, and
   * then the store is read); every refusal is judged on the store's state.
   */
  readonly #families = new ReadCache<Family>({ ttlMs: 5 * 60_000, size: 10_000 });

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
    const known = handle === null ? undefined : this.#families.get(handle);
    if (known && known.clientId === client.clientId && safeEqual(presentedHash, known.refresh.tokenHash) && known.refresh.expiresAt > now()) {
      const issued = await this.#rotate(known, presented, client, params.scope);
      if (issued) return issued;
    }

    let authorization = await this.#family(handle, client);
    if (!safeEqual(presentedHash, authorization.refresh.tokenHash)) return this.#notCurrent(presented, presentedHash, authorization, client, params.scope);
    if (authorization.refresh.expiresAt <= now()) throw invalid('the refresh token has expired');
    const issued = await this.#rotate(authorization, presented, client, params.scope);
    if (issued) return issued;
    // A concurrent refresh (or a revocation) changed the family since it was read: judge the token again.
    authorization = await this.#family(handle, client);
    return this.#notCurrent(presented, presentedHash, authorization, client, params.scope);
  }

  /** Replaces the family's current token `presented` by its successor; null if the family is no longer as read. */
  async #rotate(family: Family, presented: string, client: Client, scope: string | undefined): Promise<TokenResponse | null> {
    const scopes = this.#scopes(family, client, scope);
    const next = this.#tokens.nextRefreshToken(presented, family.refresh);
    if (!(await this.#store.authorizations.rotateRefresh(family.id, family.refresh.tokenHash, next.state))) {
      this.#families.delete(family.refresh.handle);
      return null;
    }
    this.#families.set(family.refresh.handle, { ...family, refresh: next.state });
    return this.#tokens.respond(family, client, scopes, next.token);
  }

  /** The live authorization of the family `handle` names, from the store, if it is this client's. */
  async #family(handle: string | null, client: Client): Promise<Family> {
    const authorization = handle === null ? undefined : await this.#store.authorizations.findByRefreshHandle(handle);
    if (!authorization?.refresh || authorization.clientId !== client.clientId) throw invalid('the refresh token is invalid');
    if (authorization.revokedAt !== null) throw invalid('the refresh token has been revoked');
    return { ...authorization, refresh: authorization.refresh };
  }

  /**
   * A token of the family that is not its current one: within the grace
   * window, the one just rotated gets the current token again; anything else
   * is reuse, and revokes the family.
   */
  async #notCurrent(presented: string, presentedHash: string, authorization: Family, client: Client, scope: string | undefined): Promise<TokenResponse> {
    const state = authorization.refresh;
    const current = currentInGrace(presented, presentedHash, state, this.#graceMs, Date.now());
    if (current !== null && state.expiresAt > now()) {
      return this.#tokens.respond(authorization, client, this.#scopes(authorization, client, scope), current);
    }
    this.#families.delete(state.handle);
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
