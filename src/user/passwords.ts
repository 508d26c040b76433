// Changing a password, and the one-time reset links an admin issues. Both end
// the user's other sessions; neither touches their tokens (a password is not
// what a token was issued for, and revoking them is a separate, visible act).
import type { Store } from '../store/store.ts';
import type { User } from './user.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, hashSecret, randomToken } from '../security/secrets.ts';
import { isoTime, now } from '../ids.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { CredentialChecker } from './credentials.ts';
import { passwordProblem } from './password-policy.ts';
import { durationInWords } from '../duration.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export const RESET_PATH = '/reset-password';

export interface IssuedReset {
  /** The link, with its one-time token: shown once, or mailed. */
  url: string;
  expiresAt: string;
  /** Whether it was emailed to the user (an SMTP server is configured). */
  emailed: boolean;
}

export type ResetCheck = { ok: true; user: User } | { ok: false };

export class PasswordService {
  readonly #store: Store;
  readonly #credentials: CredentialChecker;
  readonly #issuer: string;
  readonly #resetTtlMs: number;
  readonly #mailer: Mailer | null;
  readonly #audit: AuditLog;

  constructor(deps: { store: Store; credentials: CredentialChecker; audit: AuditLog; issuer: string; resetTtlSeconds: number; mailer: Mailer | null }) {
    this.#store = deps.store;
    this.#credentials = deps.credentials;
    this.#audit = deps.audit;
    this.#issuer = deps.issuer;
    this.#resetTtlMs = deps.resetTtlSeconds * 1000;
    this.#mailer = deps.mailer;
  }

  /**
   * Changes a signed-in user's password after checking the current one (as
   * sign-in does, throttled); every session but `keepSessionHash` ends.
   * Returns how many sessions ended.
   */
  async change(user: User, input: { current: string; next: string; ip: string; keepSessionHash: string }, audit: AuditContext): Promise<number> {
    const check = await this.#credentials.check(user.email, input.current, input.ip);
    if (!check.ok && check.reason === 'throttled') {
      throw new ValidationError([{ field: 'current', message: `Too many wrong passwords. Wait ${durationInWords(check.retryAfter)} and try again.` }]);
    }
    if (!check.ok || check.user.id !== user.id) throw new ValidationError([{ field: 'current', message: 'This is not your current password.' }]);
    this.#checkNew(input.next);
    const hash = await hashPassword(input.next);
    return this.#store.transaction(async (tx) => {
      await tx.users.setPasswordHash(user.id, hash);
      await tx.passwordResets.expireForUser(user.id, now());
      const ended = await tx.sessions.deleteForUser(user.id, input.keepSessionHash);
      await this.#audit.record(audit, 'password.changed', { type: 'user', id: user.id }, { sessions_ended: ended }, tx);
      return ended;
    });
  }

  /**
   * Issues a one-time reset link for a user (earlier unused links stop
   * working); emails it if mail is set up. `audit` is the admin, or the
   * operator's CLI; the log never holds the link.
   */
  async issueReset(userId: string, audit: AuditContext): Promise<IssuedReset> {
    const user = await this.#store.users.findById(userId);
    if (!user) throw new NotFoundError(`no user ${userId}`);
    const token = randomToken(32);
    const at = Date.now();
    const expiresAt = isoTime(at + this.#resetTtlMs);
    const createdBy = audit.actorKind === 'operator' ? 'cli' : audit.actorId ?? audit.actorKind;
    await this.#store.transaction(async (tx) => {
      await tx.passwordResets.expireForUser(user.id, isoTime(at));
      await tx.passwordResets.insert({ tokenHash: hashSecret(token), userId: user.id, createdBy, createdAt: isoTime(at), expiresAt, usedAt: null });
      await this.#audit.record(audit, 'password.reset_issued', { type: 'user', id: user.id }, { expires_at: expiresAt, by_mail: this.#mailer !== null }, tx);
    });
    const url = `${this.#issuer}${RESET_PATH}?token=${token}`;
    if (!this.#mailer) return { url, expiresAt, emailed: false };
    await this.#mailer.send({
      to: user.email,
      subject: 'Reset your Gatehouse password',
      text: `An administrator of Gatehouse at ${this.#issuer} sent you a link to choose a new password:\n\n${url}\n\nIt works once, until ${expiresAt.slice(0, 16).replace('T', ' ')} UTC. If you did not expect it, ignore this message and tell your administrator.\n`,
    });
    return { url, expiresAt, emailed: true };
  }

  /** The user a reset token is for, while it is unused and unexpired. */
  async checkReset(token: unknown): Promise<ResetCheck> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 200) return { ok: false };
    const reset = await this.#store.passwordResets.findByHash(hashSecret(token));
    if (!reset || reset.usedAt !== null || reset.expiresAt <= now()) return { ok: false };
    const user = await this.#store.users.findById(reset.userId);
    return user && user.disabledAt === null ? { ok: true, user } : { ok: false };
  }

  /**
   * Sets a new password with a reset token, once: the token is used up in the
   * same transaction, and every session of the user ends. False if the token
   * is no longer good (used, expired, or used by a concurrent request).
   * `audit` is the visitor who followed the link.
   */
  async resetWith(token: string, next: string, audit: AuditContext): Promise<boolean> {
    const check = await this.checkReset(token);
    if (!check.ok) return false;
    this.#checkNew(next);
    const hash = await hashPassword(next);
    return this.#store.transaction(async (tx) => {
      if (!(await tx.passwordResets.markUsed(hashSecret(token), now()))) return false;
      await tx.users.setPasswordHash(check.user.id, hash);
      await tx.passwordResets.expireForUser(check.user.id, now());
      await tx.sessions.deleteForUser(check.user.id);
      await this.#audit.record(audit, 'password.reset_completed', { type: 'user', id: check.user.id }, {}, tx);
      return true;
    });
  }

  #checkNew(password: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new ValidationError([{ field: 'password', message: problem }]);
  }
}
