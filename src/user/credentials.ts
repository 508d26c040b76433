// Checks a user's email and password, throttled per account and per address.
// Shared by the sign-in page and the password grant.
import type { Store, User } from '../store/store.ts';
import { verifyPassword } from '../security/secrets.ts';
import { SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_IP, Throttle } from '../security/throttle.ts';
import { normalizeEmail } from './user-service.ts';

export type CredentialCheck =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfter: number };

// Verified when the email is unknown, so both cases take the same time.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export class CredentialChecker {
  readonly #store: Store;
  readonly #throttle: Throttle;
  constructor(store: Store) {
    this.#store = store;
    this.#throttle = new Throttle(store);
  }

  async check(email: string, password: string, ip: string): Promise<CredentialCheck> {
    const account = normalizeEmail(email);
    const verdict = await this.#throttle.attempt([[SIGN_IN_PER_ACCOUNT, account], [SIGN_IN_PER_IP, ip]]);
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfter: verdict.retryAfter };
    const user = await this.#store.users.findByEmail(account);
    const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid || user.disabledAt !== null) return { ok: false, reason: 'invalid' };
    await this.#throttle.reset(SIGN_IN_PER_ACCOUNT, account);
    return { ok: true, user };
  }
}
