// What a user grants a client: consent, authorizations (each with its refresh-
// token family) and authorization codes, and their repositories.

export interface Consent {
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
}

export interface ConsentRepository {
  /** Inserts or replaces the consent of a user for a client. */
  save(consent: Consent): Promise<void>;
  find(userId: string, clientId: string): Promise<Consent | undefined>;
  listForUser(userId: string): Promise<Array<Consent & { clientName: string }>>;
  delete(userId: string, clientId: string): Promise<boolean>;
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

export interface AuthorizationCodeRepository {
  insert(code: AuthorizationCode): Promise<void>;
  findByHash(codeHash: string): Promise<AuthorizationCode | undefined>;
  /** Marks the code used; false if it had been used already (atomic, so only one exchange wins). */
  markUsed(codeHash: string, at: string): Promise<boolean>;
}
