// A user, their workspaces, sessions and password-reset links: the entities
// of the user domain, and the repositories the store implements for them.

export interface User {
  id: string;
  email: string;
  passwordHash: string | null;
  isAdmin: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export interface UserRepository {
  insert(user: User): Promise<void>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Whether any user exists (first-run set-up), without reading them all. */
  any(): Promise<boolean>;
  setDisabled(id: string, disabledAt: string | null): Promise<boolean>;
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
  /**
   * Whether the user exists and is not disabled, holding their row until the
   * transaction ends: a concurrent disable either waits for this transaction
   * (and then revokes what it issued) or is seen by it.
   */
  lockActive(id: string): Promise<boolean>;
}

export interface Workspace {
  id: string;
  name: string;
  personalOwnerId: string | null;
  createdAt: string;
}

export interface WorkspaceRepository {
  insert(workspace: Workspace): Promise<void>;
  addMember(workspaceId: string, userId: string, role: string, at: string): Promise<void>;
  findPersonal(userId: string): Promise<Workspace | undefined>;
}

export interface Session {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  /** Where it was signed in from, for the account page's list of sessions. */
  userAgent: string | null;
  ip: string | null;
  lastSeenAt: string | null;
}

export interface SessionRepository {
  insert(session: Session): Promise<void>;
  findByHash(idHash: string): Promise<Session | undefined>;
  /** A user's sessions that have not expired at `now`, newest first. */
  listForUser(userId: string, now: string): Promise<Session[]>;
  touch(idHash: string, at: string): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session of the user but `keepIdHash` (if given); returns how many went. */
  deleteForUser(userId: string, keepIdHash?: string): Promise<number>;
}

/** A one-time password-reset link an admin issued; only the token's SHA-256 is kept. */
export interface PasswordReset {
  tokenHash: string;
  userId: string;
  /** The admin's user id, or `cli`. */
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export interface PasswordResetRepository {
  insert(reset: PasswordReset): Promise<void>;
  findByHash(tokenHash: string): Promise<PasswordReset | undefined>;
  /** Marks it used; false if it was used already (atomic, so a link works once). */
  markUsed(tokenHash: string, at: string): Promise<boolean>;
  /** Ends every unused link of the user (a new one replaces them, a reset uses them up). */
  expireForUser(userId: string, at: string): Promise<void>;
}
