// Disabling a user ends everything they hold: sessions, personal access
// tokens, refresh-token families and live access tokens, in one transaction.
import type { Store } from '../store/store.ts';
import { NotFoundError } from '../errors.ts';
import { now } from '../ids.ts';
import type { RevocationList } from '../oauth/tokens/revocation-list.ts';
import type { PersonalAccessTokenService } from '../pat/pat-service.ts';

export class AccountAdmin {
  readonly #store: Store;
  readonly #revocations: RevocationList;
  readonly #pats: PersonalAccessTokenService;
  readonly #accessTtl: number;

  constructor(deps: { store: Store; revocations: RevocationList; pats: PersonalAccessTokenService; accessTtlSeconds: number }) {
    this.#store = deps.store;
    this.#revocations = deps.revocations;
    this.#pats = deps.pats;
    this.#accessTtl = deps.accessTtlSeconds;
  }

  async disable(userId: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const at = now();
      if (!(await tx.users.setDisabled(userId, at))) throw new NotFoundError(`no user ${userId}`);
      await tx.sessions.deleteForUser(userId);
      await this.#pats.revokeAllForUser(tx, userId);
      // Every refresh-token family (and code or device grant in flight) ends:
      // without this, an app could go on refreshing into new access tokens.
      await tx.authorizations.revokeForUser(userId, at);
      // Access tokens already issued to the user are refused until they expire.
      await this.#revocations.revoke('user', userId, this.#accessTtl, tx);
    });
  }

  async enable(userId: string): Promise<void> {
    if (!(await this.#store.users.setDisabled(userId, null))) throw new NotFoundError(`no user ${userId}`);
  }
}
