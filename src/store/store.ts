import type { JsonWebKey } from 'node:crypto';
// The one storage interface that services use. KyselyStore implements it for
// both SQLite and PostgreSQL.

export interface User {
  id: string;
  email: string;
  passwordHash: string | null;
  isAdmin: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export interface Workspace {
  id: string;
  name: string;
  personalOwnerId: string | null;
  createdAt: string;
}

export interface Client {
  clientId: string;
  workspaceId: string;
  createdBy: string;
  name: string;
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: string | null;
  isPublic: boolean;
  firstParty: boolean;
  requirePkce: boolean;
  grantTypes: string[];
  scopes: string[];
  defaultScopes: string[];
  redirectUris: string[];
  createdAt: string;
  updatedAt: string;
  /** Whether the user who registered it is disabled (read from the users table; ignored on insert). */
  ownerDisabled: boolean;
}

export interface Process {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  createdAt: string;
  modifiedAt: string;
  modifiedBy: string;
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  createdAt: string;
  retiredAt: string | null;
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

export interface Consent {
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Authorization {
  id: string;
  userId: string;
  clientId: string;
  workspaceId: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
  /** Its refresh-token family, if the client may refresh: one row, rotated in place. */
  refresh: RefreshState | null;
}

/**
 * The live refresh token of an authorization. Rotation rewrites this state
 * with one conditional update of one row, so a refresh costs one read and one
 * write; a token presented again after its rotation is recognised by its
 * family handle and revokes the family (RFC 9700 §4.14.2).
 */
export interface RefreshState {
  /** The token's family part: random, and only ever found inside refresh tokens. */
  handle: string;
  /** SHA-256 of the current token. */
  tokenHash: string;
  /** SHA-256 of the token it replaced, and when that happened (for the grace window). */
  previousHash: string | null;
  rotatedAt: string | null;
  /** The salt that derived the current token from the previous one, so a retry in the grace window gets the same token. */
  nonce: string | null;
  issuedAt: string;
  expiresAt: string;
}

export interface AuthorizationCode {
  codeHash: string;
  authorizationId: string;
  clientId: string;
  redirectUri: string;
  /** Whether the authorize request named redirect_uri (then the token request must too). */
  redirectUriSent: boolean;
  codeChallenge: string | null;
  expiresAt: string;
  usedAt: string | null;
  createdAt: string;
}

/**
 * `client_changed` revokes nothing: it tells every node that a client's
 * settings or secret changed, so cached copies are dropped.
 */
export type RevocationKind = 'jti' | 'authorization' | 'client' | 'user' | 'pat' | 'client_changed';

export interface Revocation {
  id: string;
  kind: RevocationKind;
  value: string;
  createdAt: string;
  /** When every token this entry refuses has expired anyway. */
  expiresAt: string;
}

export interface PersonalAccessToken {
  id: string;
  userId: string;
  workspaceId: string;
  name: string;
  tokenHash: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceAuthorization {
  deviceCodeHash: string;
  /** Normalized: upper case, no separator. */
  userCode: string;
  clientId: string;
  scopes: string[];
  status: DeviceStatus;
  userId: string | null;
  intervalSeconds: number;
  lastPolledAt: string | null;
  expiresAt: string;
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

export interface WorkspaceRepository {
  insert(workspace: Workspace): Promise<void>;
  addMember(workspaceId: string, userId: string, role: string, at: string): Promise<void>;
  findPersonal(userId: string): Promise<Workspace | undefined>;
}

/** The settings of a client that can change after it is registered. */
export interface ClientChange {
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
  defaultScopes: string[];
  at: string;
}

export interface ClientRepository {
  insert(client: Client): Promise<void>;
  findById(clientId: string): Promise<Client | undefined>;
  /** Matches the current or the previous secret's hash. */
  findBySecretHash(secretHash: string): Promise<Client | undefined>;
  list(): Promise<Client[]>;
  /** The clients of one workspace, oldest first. */
  listInWorkspace(workspaceId: string): Promise<Client[]>;
  /** The ids of the clients a user registered. */
  idsCreatedBy(userId: string): Promise<string[]>;
  /** Changes the editable settings in one UPDATE; false if there is no such client. */
  update(clientId: string, change: ClientChange): Promise<boolean>;
  updateSecret(
    clientId: string,
    change: { secretHash: string; previousSecretHash: string | null; previousSecretExpiresAt: string | null; at: string },
  ): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
}

export interface ProcessPage {
  items: Process[];
  nextCursor: string | null;
}

export interface ProcessRepository {
  insert(process: Process): Promise<void>;
  findInWorkspace(workspaceId: string, id: string): Promise<Process | undefined>;
  /** Keyset pagination by id: `after` is the last id of the previous page. */
  listInWorkspace(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage>;
}

export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  listActive(): Promise<SigningKey[]>;
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

export interface PasswordResetRepository {
  insert(reset: PasswordReset): Promise<void>;
  findByHash(tokenHash: string): Promise<PasswordReset | undefined>;
  /** Marks it used; false if it was used already (atomic, so a link works once). */
  markUsed(tokenHash: string, at: string): Promise<boolean>;
  /** Ends every unused link of the user (a new one replaces them, a reset uses them up). */
  expireForUser(userId: string, at: string): Promise<void>;
}

export interface ServerSecretRepository {
  /** The secret named `name`; `candidate` becomes it if there is none yet (the first node to ask wins). */
  getOrCreate(name: string, candidate: string, at: string): Promise<string>;
}

export interface ConsentRepository {
  /** Inserts or replaces the consent of a user for a client. */
  save(consent: Consent): Promise<void>;
  find(userId: string, clientId: string): Promise<Consent | undefined>;
  listForUser(userId: string): Promise<Array<Consent & { clientName: string }>>;
  delete(userId: string, clientId: string): Promise<boolean>;
}

export interface AuthorizationRepository {
  insert(authorization: Authorization): Promise<void>;
  findById(id: string): Promise<Authorization | undefined>;
  /** Marks it revoked; false if it already was (or does not exist). */
  revoke(id: string, at: string): Promise<boolean>;
  /** Revokes every live authorization of a user (for one client, if given); returns their ids. */
  revokeForUser(userId: string, at: string, clientId?: string): Promise<string[]>;
  /** The authorization whose refresh-token family has this handle. */
  findByRefreshHandle(handle: string): Promise<Authorization | undefined>;
  /** Gives the authorization its first refresh token. */
  startRefresh(id: string, state: RefreshState): Promise<void>;
  /**
   * Replaces the refresh token whose hash is `currentHash` with `next`, if it
   * is still the current one and the authorization is not revoked; false
   * otherwise (atomic, so of two concurrent rotations only one wins).
   */
  rotateRefresh(id: string, currentHash: string, next: RefreshState): Promise<boolean>;
  /**
   * A user's unrevoked authorizations that can still act: made after
   * `createdAfter` (their access token may live), or holding an unexpired
   * refresh token at `now`.
   */
  listLiveForUser(userId: string, createdAfter: string, now: string): Promise<Authorization[]>;
}

export interface AuthorizationCodeRepository {
  insert(code: AuthorizationCode): Promise<void>;
  findByHash(codeHash: string): Promise<AuthorizationCode | undefined>;
  /** Marks the code used; false if it had been used already (atomic, so only one exchange wins). */
  markUsed(codeHash: string, at: string): Promise<boolean>;
}

export interface RevocationRepository {
  insert(revocation: Revocation): Promise<void>;
  /** Entries created at or after `since` that have not expired at `now`. */
  listSince(since: string, now: string): Promise<Revocation[]>;
  deleteExpired(now: string): Promise<number>;
}

export interface AttemptCounterRepository {
  /** Counts one attempt for `key` in a window ending at `windowEndsAt` (a new window once the old one ends); returns the count and when its window ends. */
  hit(key: string, now: string, windowEndsAt: string): Promise<{ count: number; windowEndsAt: string }>;
  /** Takes one attempt back (a success that was counted before it was checked). */
  undo(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** When the window of `key` ends, if it has not ended at `now`. */
  windowEnd(key: string, now: string): Promise<string | undefined>;
  /** Makes the window of `key` end at `until`, unless it already ends later. */
  extend(key: string, until: string): Promise<void>;
}

export interface PersonalAccessTokenRepository {
  insert(token: PersonalAccessToken): Promise<void>;
  findByHash(tokenHash: string): Promise<PersonalAccessToken | undefined>;
  findById(id: string): Promise<PersonalAccessToken | undefined>;
  listForUser(userId: string): Promise<PersonalAccessToken[]>;
  /** Marks it revoked; false if it was already revoked or is not the user's. */
  revoke(id: string, userId: string, at: string): Promise<boolean>;
  /** Revokes every live token of a user; returns their ids. */
  revokeAllForUser(userId: string, at: string): Promise<string[]>;
  touch(id: string, at: string): Promise<void>;
}

export interface DeviceAuthorizationRepository {
  insert(device: DeviceAuthorization): Promise<void>;
  findByDeviceCodeHash(hash: string): Promise<DeviceAuthorization | undefined>;
  findByUserCode(userCode: string): Promise<DeviceAuthorization | undefined>;
  /** Moves a pending authorization to approved or denied; false if it was no longer pending. */
  decide(userCode: string, status: 'approved' | 'denied', userId: string): Promise<boolean>;
  /** Records a poll and the interval the client must now keep. */
  recordPoll(hash: string, at: string, intervalSeconds: number): Promise<void>;
  /** Marks an approved authorization consumed; false if another poll got there first. */
  consume(hash: string): Promise<boolean>;
}

export interface Store {
  users: UserRepository;
  workspaces: WorkspaceRepository;
  clients: ClientRepository;
  processes: ProcessRepository;
  signingKeys: SigningKeyRepository;
  sessions: SessionRepository;
  consents: ConsentRepository;
  authorizations: AuthorizationRepository;
  authorizationCodes: AuthorizationCodeRepository;
  revocations: RevocationRepository;
  attemptCounters: AttemptCounterRepository;
  personalAccessTokens: PersonalAccessTokenRepository;
  deviceAuthorizations: DeviceAuthorizationRepository;
  passwordResets: PasswordResetRepository;
  serverSecrets: ServerSecretRepository;
  /** Runs `work` in one transaction: every change it makes lands, or none does. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Deletes rows whose time is up (sessions, codes, device
   * requests, revocations, attempt counters), at most `batch` rows per
   * statement so a purge never holds a long lock. Returns the rows deleted.
   */
  purgeExpired(now: string, batch?: number): Promise<number>;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}
