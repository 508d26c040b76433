// First run: while the database holds no user, the server prints a one-time
// set-up URL whose token lets the operator create the first admin in the
// browser. Only the token's SHA-256 is kept, in this process's memory; the
// URL dies once it is used, when the process stops, or as soon as any user
// exists in the store (one made with the CLI or on another node included).
import type { Store } from '../store/store.ts';
import type { User } from './user.ts';
import { hashSecret, randomToken, safeEqual } from '../security/secrets.ts';
import type { UserService } from './user-service.ts';
import type { AuditContext } from '../audit/audit-event.ts';

/** 32 bytes = 256 random bits. */
const TOKEN_BYTES = 32;

export class FirstRunSetup {
  readonly #store: Store;
  readonly #users: UserService;
  #tokenHash: string | null = null;
  /** An admin is being created; a concurrent submission is refused. */
  #busy = false;

  constructor(store: Store, users: UserService) {
    this.#store = store;
    this.#users = users;
  }

  /** A new set-up token when the store has no user (returned once, kept only as a hash); null otherwise. */
  async begin(): Promise<string | null> {
    this.#tokenHash = null;
    if (await this.#store.users.any()) return null;
    const token = randomToken(TOKEN_BYTES);
    this.#tokenHash = hashSecret(token);
    return token;
  }

  /** Whether `token` is the live set-up token. Asks the store only when the token matches. */
  async valid(token: unknown): Promise<boolean> {
    return !this.#busy && (await this.#check(token));
  }

  /**
   * Creates the first admin if `token` is the live set-up token; null when it
   * is not (or another submission is being handled). Throws the UserService's
   * ValidationError, leaving the token live for a corrected try. The audit
   * log records the registration with `audit` (the visitor, not signed in).
   */
  async createAdmin(token: unknown, input: { email: string; password: string }, audit: AuditContext): Promise<User | null> {
    // Claimed before the first await, so two submissions on this node cannot both create an admin.
    if (this.#busy) return null;
    this.#busy = true;
    try {
      if (!(await this.#check(token))) return null;
      const user = await this.#users.create({ email: input.email, password: input.password, admin: true }, audit);
      this.#tokenHash = null;
      return user;
    } finally {
      this.#busy = false;
    }
  }

  async #check(token: unknown): Promise<boolean> {
    const expected = this.#tokenHash;
    if (expected === null || typeof token !== 'string' || token.length > 200) return false;
    // Both sides are SHA-256 digests of equal length, compared in constant time.
    if (!safeEqual(hashSecret(token), expected)) return false;
    if (await this.#store.users.any()) {
      this.#tokenHash = null;
      return false;
    }
    return true;
  }
}
