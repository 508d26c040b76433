// A personal access token as stored (only its hash), and its repository.

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
