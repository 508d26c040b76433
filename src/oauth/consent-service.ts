// A user's consent to a client: remembered per user, client and scope set,
// and revocable together with every token the client holds for the user.
import type { Client } from '../client/client.ts';
import type { Consent } from './authorization.ts';
import type { Store } from '../store/store.ts';
import { now } from '../ids.ts';
import type { RevocationList } from './tokens/revocation-list.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export interface AuthorizedApp extends Consent {
  clientName: string;
}

export class ConsentService {
  readonly #store: Store;
  readonly #revocations: RevocationList;
  readonly #accessTtl: number;
  readonly #audit: AuditLog;

  constructor(store: Store, revocations: RevocationList, accessTtlSeconds: number, audit: AuditLog) {
    this.#store = store;
    this.#revocations = revocations;
    this.#accessTtl = accessTtlSeconds;
    this.#audit = audit;
  }

  /**
   * True if the user need not be asked: a first-party client, or a
   * confidential client whose remembered consent covers `scopes`. A public
   * client is asked every time (RFC 8252 §8.6, RFC 9700 §2.4): anyone can
   * send its client_id with their own PKCE challenge and loopback port, so a
   * remembered consent would hand them a code without a prompt.
   */
  async covers(userId: string, client: Client, scopes: string[]): Promise<boolean> {
    if (client.firstParty) return true;
    if (client.isPublic) return false;
    const consent = await this.#store.consents.find(userId, client.clientId);
    return consent !== undefined && scopes.every((s) => consent.scopes.includes(s));
  }

  /** Records consent to `scopes`, added to what the user had already granted; `audit` is the user deciding. */
  async grant(userId: string, clientId: string, scopes: string[], audit: AuditContext): Promise<void> {
    const at = now();
    const existing = await this.#store.consents.find(userId, clientId);
    const merged = [...new Set([...(existing?.scopes ?? []), ...scopes])].sort();
    await this.#store.consents.save({ userId, clientId, scopes: merged, createdAt: existing?.createdAt ?? at, updatedAt: at });
    await this.#audit.record(audit, 'consent.granted', { type: 'client', id: clientId }, { user_id: userId, scopes });
  }

  list(userId: string): Promise<AuthorizedApp[]> {
    return this.#store.consents.listForUser(userId);
  }

  /**
   * Removes the consent and revokes every authorization (refresh-token family
   * and its access tokens) of the user for the client, in one transaction.
   * Returns false if there was nothing to revoke. `audit` is the user.
   */
  async revoke(userId: string, clientId: string, audit: AuditContext): Promise<boolean> {
    return this.#store.transaction(async (tx) => {
      const hadConsent = await tx.consents.delete(userId, clientId);
      const revoked = await tx.authorizations.revokeForUser(userId, now(), clientId);
      for (const id of revoked) await this.#revocations.revoke('authorization', id, this.#accessTtl, tx);
      const any = hadConsent || revoked.length > 0;
      if (any) await this.#audit.record(audit, 'consent.revoked', { type: 'client', id: clientId }, { user_id: userId, authorizations_revoked: revoked.length }, tx);
      return any;
    });
  }
}
