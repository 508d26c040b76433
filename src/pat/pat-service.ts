// Personal access tokens: made by a user, shown once, stored as a SHA-256
// hash, used as a Bearer token on the API like an OAuth access token.
import type { PersonalAccessToken } from './pat.ts';
import type { Store } from '../store/store.ts';
import { ValidationError, NotFoundError, type FieldError } from '../errors.ts';
import { hashSecret } from '../security/secrets.ts';
import { isKnownScope, SCOPES } from '../scopes.ts';
import { newId, now } from '../ids.ts';
import type { RevocationList } from '../oauth/tokens/revocation-list.ts';
import { isWellFormedPat, newPersonalAccessToken } from './token-format.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export const PAT_EXPIRY_DAYS = [30, 90, 365] as const;
// A known token is trusted from memory this long; revocation is still seen at
// once through the revocation list, and a DB change after this at the latest.
const CACHE_TTL_MS = 60_000;
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
const CACHE_SIZE = 10_000;

export interface PatPrincipal {
  tokenId: string;
  userId: string;
  workspaceId: string;
  scopes: string[];
  createdAtMs: number;
  /** When the token expires (epoch ms); null: never. */
  expiresAtMs: number | null;
}

export class PersonalAccessTokenService {
  readonly #store: Store;
  readonly #revocations: RevocationList;
  readonly #audit: AuditLog;
  readonly #cache = new Map<string, { principal: PatPrincipal; expiresAt: number | null; cachedAt: number }>();
  readonly #lastWrite = new Map<string, number>();

  constructor(store: Store, revocations: RevocationList, audit: AuditLog) {
    this.#store = store;
    this.#revocations = revocations;
    this.#audit = audit;
  }

  /**
   * Makes a token. `notAfterMs`, when the caller is itself a token, is when
   * that token stops working: the new one may not outlive it (nor be
   * made without an expiry). `audit` says who made it (the user, or the
   * operator's CLI); the log keeps its id, never the token.
   */
  async create(userId: string, input: { name: string; scopes: string[]; expiresInDays: number | null; notAfterMs?: number | null }, audit: AuditContext): Promise<{ token: string; record: PersonalAccessToken }> {
    const name = input.name.trim();
    const scopes = [...new Set(input.scopes)];
    const errors: FieldError[] = [];
    if (name.length === 0 || name.length > 100) errors.push({ field: 'name', message: 'must be 1 to 100 characters' });
    if (scopes.length === 0) errors.push({ field: 'scopes', message: 'at least one scope is required' });
    for (const scope of scopes) if (!isKnownScope(scope)) errors.push({ field: 'scopes', message: `unknown scope "${scope}"; known: ${Object.keys(SCOPES).join(', ')}` });
    const days = input.expiresInDays;
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 3650)) errors.push({ field: 'expires_in_days', message: 'must be a whole number of days from 1 to 3650, or null for no expiry' });
    const notAfter = input.notAfterMs ?? null;
    const expiresAtMs = days === null ? null : Date.now() + days * 86_400_000;
    if (notAfter !== null && (expiresAtMs === null || expiresAtMs > notAfter)) {
      const most = Math.floor((notAfter - Date.now()) / 86_400_000);
      errors.push({
        field: 'expires_in_days',
        message: `the calling token expires at ${new Date(notAfter).toISOString()}, and a new token may not outlive it: ${most >= 1 ? `at most ${most} day${most === 1 ? '' : 's'}` : 'it expires in less than a day, so it cannot make one'}`,
      });
    }
    if (errors.length > 0) throw new ValidationError(errors);

    const workspace = await this.#store.workspaces.findPersonal(userId);
    if (!workspace) throw new NotFoundError('the user has no personal workspace');
    const token = newPersonalAccessToken();
    const createdAt = now();
    const record: PersonalAccessToken = {
      id: newId('pat-'),
      userId,
      workspaceId: workspace.id,
      name,
      tokenHash: hashSecret(token),
      scopes,
      createdAt,
      lastUsedAt: null,
      expiresAt: expiresAtMs === null ? null : new Date(expiresAtMs).toISOString(),
      revokedAt: null,
    };
    await this.#store.personalAccessTokens.insert(record);
    await this.#audit.record(audit, 'pat.created', { type: 'pat', id: record.id }, { owner: userId, name, scopes, expires_at: record.expiresAt });
    return { token, record };
  }

  list(userId: string): Promise<PersonalAccessToken[]> {
    return this.#store.personalAccessTokens.listForUser(userId);
  }

  /** Revokes one of the user's tokens, at once on every node. */
  async revoke(userId: string, id: string, audit: AuditContext): Promise<void> {
    await this.#store.transaction(async (tx) => {
      if (!(await tx.personalAccessTokens.revoke(id, userId, now()))) throw new NotFoundError(`no active token ${id}`);
      await this.#revocations.revoke('pat', id, CACHE_TTL_MS / 1000, tx);
      await this.#audit.record(audit, 'pat.revoked', { type: 'pat', id }, { owner: userId }, tx);
    });
  }

  /** Revokes every token of a user (when the user is disabled), inside the caller's transaction. */
  async revokeAllForUser(tx: Store, userId: string): Promise<void> {
    for (const id of await tx.personalAccessTokens.revokeAllForUser(userId, now())) {
      await this.#revocations.revoke('pat', id, CACHE_TTL_MS / 1000, tx);
    }
  }

  /** The principal a PAT stands for, or null if it is unknown, expired, revoked, or its user disabled. */
  async authenticate(token: string): Promise<PatPrincipal | null> {
    if (!isWellFormedPat(token)) return null;
    const nowMs = Date.now();
    let entry = this.#cache.get(token);
    if (!entry || nowMs - entry.cachedAt > CACHE_TTL_MS) {
      this.#cache.delete(token);
      const record = await this.#store.personalAccessTokens.findByHash(hashSecret(token));
      if (!record || record.revokedAt !== null) return null;
      const user = await this.#store.users.findById(record.userId);
      if (!user || user.disabledAt !== null) return null;
      const expiresAtMs = record.expiresAt === null ? null : Date.parse(record.expiresAt);
      entry = {
        principal: {
          tokenId: record.id, userId: record.userId, workspaceId: record.workspaceId, scopes: record.scopes, createdAtMs: Date.parse(record.createdAt), expiresAtMs,
        },
        expiresAt: expiresAtMs,
        cachedAt: nowMs,
      };
      if (this.#cache.size >= CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(token, entry);
    }
    if (entry.expiresAt !== null && entry.expiresAt <= nowMs) return null;
    const { principal } = entry;
    if (this.#revocations.isPatRevoked(principal.tokenId, principal.userId, principal.createdAtMs)) return null;
    this.#noteUse(principal.tokenId, nowMs);
    return principal;
  }

  // `last used` is written at most once a minute per token, not on every request.
  #noteUse(id: string, nowMs: number): void {
    const last = this.#lastWrite.get(id) ?? 0;
    if (nowMs - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.#lastWrite.set(id, nowMs);
    void this.#store.personalAccessTokens.touch(id, new Date(nowMs).toISOString()).catch(() => this.#lastWrite.delete(id));
  }
}
