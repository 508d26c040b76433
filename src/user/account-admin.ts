// Disabling a user ends everything they hold, in one transaction: sessions,
// personal access tokens, refresh-token families, live access tokens, and
// the applications they registered (their tokens are refused, and the apps
// cannot authenticate while their owner is disabled). What is in flight
// (a device code already approved, a code about to be exchanged) is refused
// where tokens are issued (UserTokens.authorize).
import type { Store } from '../store/store.ts';
import { NotFoundError } from '../errors.ts';
import { now } from '../ids.ts';
import type { RevocationList } from '../oauth/tokens/revocation-list.ts';
import type { PersonalAccessTokenService } from '../pat/pat-service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export class AccountAdmin {
  readonly #store: Store;
  readonly #revocations: RevocationList;
  readonly #pats: PersonalAccessTokenService;
  readonly #accessTtl: number;
  readonly #audit: AuditLog;

  constructor(deps: { store: Store; revocations: RevocationList; pats: PersonalAccessTokenService; audit: AuditLog; accessTtlSeconds: number }) {
    this.#store = deps.store;
    this.#revocations = deps.revocations;
    this.#pats = deps.pats;
    this.#audit = deps.audit;
    this.#accessTtl = deps.accessTtlSeconds;
  }

  /** `audit` is the admin, or the operator's CLI. */
  async disable(userId: string, audit: AuditContext): Promise<void> {
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
      // So are those of the user's apps, on every node, which also drop their cached copies.
      for (const clientId of await tx.clients.idsCreatedBy(userId)) await this.#revocations.revoke('client', clientId, this.#accessTtl, tx);
      await this.#audit.record(audit, 'user.disabled', { type: 'user', id: userId }, {}, tx);
    });
  }

  /** Lets the user sign in again, and their apps work again; old sessions and tokens stay revoked. */
  async enable(userId: string, audit: AuditContext): Promise<void> {
    await this.#store.transaction(async (tx) => {
      if (!(await tx.users.setDisabled(userId, null))) throw new NotFoundError(`no user ${userId}`);
      for (const clientId of await tx.clients.idsCreatedBy(userId)) await this.#revocations.announce('client_changed', clientId, tx);
      await this.#audit.record(audit, 'user.enabled', { type: 'user', id: userId }, {}, tx);
    });
  }
}
