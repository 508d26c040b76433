// Checks a user's email and password. Shared by the sign-in page, the
// password grant and the password change. Guessing is limited three ways,
// and none of them lets a stranger lock an account:
//  - per account and address: 5 guesses in 15 minutes, then that address
//    waits out the window (counted before the check, so parallel guesses
//    cannot slip past; a success is reset);
//  - per address, over all accounts: 50 attempts in 15 minutes, against one
//    address trying many accounts; successes are taken back, so a busy NAT
//    of people who type their passwords right never hits it;
//  - per account, from every address: after 10 failures in 15 minutes each
//    further failure makes the account wait a little longer (1 s, 2 s, 4 s …
//    at most a minute) before the next try, a progressive delay rather than
//    a lock (as Entra ID's smart lockout does). An address that has signed in
//    to the account before is familiar and skips it, so someone guessing from
//    elsewhere cannot keep the owner out.
import type { Store } from '../store/store.ts';
import type { User } from './user.ts';
import { verifyPassword } from '../security/secrets.ts';
import { Throttle, type ThrottleRule } from '../security/throttle.ts';
import { normalizeEmail } from './email.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';
import type { AttemptCounterRepository } from '../security/attempt-counter.ts';

export type CredentialCheck =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfter: number };

/** Where a sign-in came from: the portal's form, or an app's password grant. */
export type SignInMethod = 'password_form' | 'password_grant';

// Verified when the email is unknown, so both cases take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const WINDOW = 15 * 60;
export const SIGN_IN_PER_ACCOUNT_AND_ADDRESS: ThrottleRule = { name: 'signin', limit: 5, windowSeconds: WINDOW };
export const SIGN_IN_PER_ADDRESS: ThrottleRule = { name: 'signin-ip', limit: 50, windowSeconds: WINDOW };
const ACCOUNT_FAILURES: ThrottleRule = { name: 'signin-failures', limit: 10, windowSeconds: WINDOW };
const ACCOUNT_DELAY = 'signin-delay';
const MAX_DELAY_SECONDS = 60;
const FAMILIAR = 'signin-familiar';
const FAMILIAR_SECONDS = 90 * 86_400;

/** The wait after the nth failure of an account: none up to the limit, then doubling from 1 s, at most a minute. */
export function accountDelaySeconds(failures: number): number {
  if (failures <= ACCOUNT_FAILURES.limit) return 0;
  return Math.min(2 ** Math.min(failures - ACCOUNT_FAILURES.limit - 1, 30), MAX_DELAY_SECONDS);
}

export class CredentialChecker {
  readonly #store: Store;
  readonly #throttle: Throttle;
  readonly #audit: AuditLog;
  /** `counters`: where attempts are counted; the store's by default, Redis's when configured. */
  constructor(store: Store, audit: AuditLog, counters: AttemptCounterRepository = store.attemptCounters) {
    this.#store = store;
    this.#throttle = new Throttle(counters);
    this.#audit = audit;
  }

  /**
   * A sign-in: `check`, then the audit log records how it went. `audit` is
   * who asks (a visitor, or the app of a password grant); a success is
   * recorded as the user's own. A failure names the account only if it
   * exists: an unknown "email" may be a password typed in the wrong field.
   */
  async signIn(email: string, password: string, method: SignInMethod, audit: AuditContext & { ip: string }): Promise<CredentialCheck> {
    const result = await this.check(email, password, audit.ip);
    if (result.ok) {
      const { user } = result;
      await this.#audit.record({ ...audit, actorKind: 'user', actorId: user.id }, 'sign_in.succeeded', { type: 'user', id: user.id }, { method });
      return result;
    }
    const user = await this.#store.users.findByEmail(normalizeEmail(email));
    await this.#audit.record(audit, 'sign_in.failed', user ? { type: 'user', id: user.id } : null, { method, reason: result.reason, known_account: user !== undefined });
    return result;
  }

  async check(email: string, password: string, ip: string): Promise<CredentialCheck> {
    const account = normalizeEmail(email);
    const accountAtAddress = `${account}|${ip}`;
    const familiar = (await this.#throttle.heldFor(FAMILIAR, accountAtAddress)) > 0;
    if (!familiar) {
      const wait = await this.#throttle.heldFor(ACCOUNT_DELAY, account);
      if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: wait };
    }
    const verdict = await this.#throttle.attempt([[SIGN_IN_PER_ACCOUNT_AND_ADDRESS, accountAtAddress], [SIGN_IN_PER_ADDRESS, ip]]);
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfter: verdict.retryAfter };

    const user = await this.#store.users.findByEmail(account);
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid || user.disabledAt !== null) {
      const delay = accountDelaySeconds(await this.#throttle.count(ACCOUNT_FAILURES, account));
      if (delay > 0) await this.#throttle.hold(ACCOUNT_DELAY, account, delay);
      return { ok: false, reason: 'invalid' };
    }
    await Promise.all([
      this.#throttle.reset(SIGN_IN_PER_ACCOUNT_AND_ADDRESS, accountAtAddress),
      this.#throttle.refund(SIGN_IN_PER_ADDRESS, ip),
      this.#throttle.reset(ACCOUNT_FAILURES, account),
      this.#throttle.hold(FAMILIAR, accountAtAddress, FAMILIAR_SECONDS),
    ]);
    return { ok: true, user };
  }
}
