// RFC 6749 §4.3, only for clients that opt in (RFC 9700 §2.4 advises against
// it; existing scripts need it). Attempts are throttled like sign-in, and
// recorded in the audit log as sign-ins (by the client, for the user).
import type { Store } from '../../store/store.ts';
import type { CredentialChecker } from '../../user/credentials.ts';
import { OAuthError } from '../errors.ts';
import { resolveScopes } from '../scope-request.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

export class PasswordGrant implements Grant {
  readonly type = 'password';
  readonly #store: Store;
  readonly #tokens: UserTokens;
  readonly #credentials: CredentialChecker;

  constructor(store: Store, tokens: UserTokens, credentials: CredentialChecker) {
    this.#store = store;
    this.#tokens = tokens;
    this.#credentials = credentials;
  }

  async handle({ client, params, ip, requestId }: GrantRequest): Promise<TokenResponse> {
    if (!params.username || params.password === undefined) throw new OAuthError('invalid_request', 'username and password are required');
    const scopes = resolveScopes(params.scope, client.scopes, client.defaultScopes);
    const asker = { actorKind: 'client' as const, actorId: client.clientId, clientId: client.clientId, ip, requestId };
    const check = await this.#credentials.signIn(params.username, params.password, 'password_grant', asker);
    if (!check.ok) {
      if (check.reason === 'throttled') {
        throw new OAuthError('invalid_grant', `too many attempts; try again in ${check.retryAfter} seconds`, { 'retry-after': String(check.retryAfter) });
      }
      throw new OAuthError('invalid_grant', 'the username or password is wrong');
    }
    return this.#store.transaction(async (tx) => {
      const authorization = await this.#tokens.authorize(tx, check.user.id, client, scopes);
      return this.#tokens.issue(tx, authorization, client, scopes);
    });
  }
}
