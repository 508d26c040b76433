import type { PersonalAccessToken } from './pat.ts';

/** A PAT as the API and CLI show it: never the token or its hash. */
export const toPatJson = (t: PersonalAccessToken) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  created_at: t.createdAt,
  last_used_at: t.lastUsedAt,
  expires_at: t.expiresAt,
  revoked_at: t.revokedAt,
});
