// Issues an authorization code: the authorization and its code land together
// in one transaction. Only the code's hash is stored.
import type { Store } from '../store/store.ts';
import type { User } from '../user/user.ts';
import { hashSecret, randomToken } from '../security/secrets.ts';
import { now } from '../ids.ts';
import type { UserTokens } from './tokens/user-tokens.ts';
import type { AuthorizeRequest } from './authorize-request.ts';

export class CodeIssuer {
  readonly #store: Store;
  readonly #tokens: UserTokens;
  readonly #ttlMs: number;

  constructor(store: Store, tokens: UserTokens, ttlSeconds: number) {
    this.#store = store;
    this.#tokens = tokens;
    this.#ttlMs = ttlSeconds * 1000;
  }

  /** Returns the code (256 random bits) for `user`'s approval of `request`. */
  async issue(user: User, request: AuthorizeRequest): Promise<string> {
    const code = randomToken(32);
    await this.#store.transaction(async (tx) => {
      const authorization = await this.#tokens.authorize(tx, user.id, request.client, request.scopes);
      await tx.authorizationCodes.insert({
        codeHash: hashSecret(code),
        authorizationId: authorization.id,
        clientId: request.client.clientId,
        redirectUri: request.redirectUri,
        redirectUriSent: request.redirectUriSent,
        codeChallenge: request.codeChallenge,
        expiresAt: new Date(Date.now() + this.#ttlMs).toISOString(),
        usedAt: null,
        createdAt: now(),
      });
    });
    return code;
  }
}
