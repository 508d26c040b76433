import type { Store } from '../store/store.ts';
import type { User } from './user.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { hashPassword } from '../security/secrets.ts';
import { newId, now } from '../ids.ts';
import { emailProblem, normalizeEmail } from './email.ts';
import { passwordProblem } from './password-policy.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export { normalizeEmail } from './email.ts';
export { MIN_PASSWORD_LENGTH } from './password-policy.ts';

export class UserService {
  readonly #store: Store;
  readonly #audit: AuditLog;
  constructor(store: Store, audit: AuditLog) {
    this.#store = store;
    this.#audit = audit;
  }

  /**
   * Creates a user together with their personal workspace, in one
   * transaction; `audit` says who registered them (an admin, the operator,
   * the first-run set-up).
   */
  async create(input: { email: string; password: string; admin?: boolean }, audit: AuditContext): Promise<User> {
    const email = normalizeEmail(input.email);
    const errors: FieldError[] = [];
    const badEmail = emailProblem(email);
    if (badEmail) errors.push({ field: 'email', message: badEmail });
    const badPassword = passwordProblem(input.password);
    if (badPassword) errors.push({ field: 'password', message: badPassword });
    if (errors.length > 0) throw new ValidationError(errors);

    const passwordHash = await hashPassword(input.password);
    const at = now();
    const user: User = { id: newId('u-'), email, passwordHash, isAdmin: input.admin ?? false, disabledAt: null, createdAt: at };
    return this.#store.transaction(async (tx) => {
      if (await tx.users.findByEmail(email)) throw new ConflictError(`a user with email ${email} already exists`);
      await tx.users.insert(user);
      const workspace = { id: newId('w-'), name: `${email} (personal)`, personalOwnerId: user.id, createdAt: at };
      await tx.workspaces.insert(workspace);
      await tx.workspaces.addMember(workspace.id, user.id, 'owner', at);
      await this.#audit.record(audit, 'user.registered', { type: 'user', id: user.id }, { email, admin: user.isAdmin }, tx);
      return user;
    });
  }

  async requireByEmail(email: string): Promise<User> {
    const user = await this.#store.users.findByEmail(normalizeEmail(email));
    if (!user) throw new NotFoundError(`no user with email ${normalizeEmail(email)}`);
    return user;
  }

  async requireById(id: string): Promise<User> {
    const user = await this.#store.users.findById(id);
    if (!user) throw new NotFoundError(`no user ${id}`);
    return user;
  }

  /** The id of the user's personal workspace. */
  async workspaceOf(userId: string): Promise<string> {
    const workspace = await this.#store.workspaces.findPersonal(userId);
    if (!workspace) throw new NotFoundError(`user ${userId} has no personal workspace`);
    return workspace.id;
  }

  /** The personal workspace of the user with this email. */
  async personalWorkspaceOf(email: string): Promise<{ user: User; workspaceId: string }> {
    const user = await this.requireByEmail(email);
    return { user, workspaceId: await this.workspaceOf(user.id) };
  }

  list(): Promise<User[]> {
    return this.#store.users.list();
  }
}
