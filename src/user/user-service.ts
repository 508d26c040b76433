import type { Store, User } from '../store/store.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword } from '../security/secrets.ts';
import { newId, now } from '../ids.ts';

const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const MIN_PASSWORD_LENGTH = 8;

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

export class UserService {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  /** Creates a user together with their personal workspace, in one transaction. */
  async create(input: { email: string; password: string; admin?: boolean }): Promise<User> {
    const email = normalizeEmail(input.email);
    const errors = [];
    if (!EMAIL.test(email) || email.length > 254) errors.push({ field: 'email', message: 'must be an email address' });
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      errors.push({ field: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
    }
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
      return user;
    });
  }

  async requireByEmail(email: string): Promise<User> {
    const user = await this.#store.users.findByEmail(normalizeEmail(email));
    if (!user) throw new NotFoundError(`no user with email ${normalizeEmail(email)}`);
    return user;
  }

  /** The personal workspace of the user with this email. */
  async personalWorkspaceOf(email: string): Promise<{ user: User; workspaceId: string }> {
    const user = await this.requireByEmail(email);
    const workspace = await this.#store.workspaces.findPersonal(user.id);
    if (!workspace) throw new NotFoundError(`user ${user.email} has no personal workspace`);
    return { user, workspaceId: workspace.id };
  }

  list(): Promise<User[]> {
    return this.#store.users.list();
  }
}
