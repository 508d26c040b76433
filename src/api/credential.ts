// What kind of credential is calling, and what it may do beyond its scopes.
// Managing the account itself (its personal access tokens, its authorized
// apps) is for the user's own credentials only: their personal access token,
// or a token of one of the operator's first-party apps. A third-party app the
// user approved for `process_read` must not be able to mint a PAT that
// outlives its own revocation; a client acting for itself has no user.
import type { FastifyRequest } from 'fastify';
import type { ClientService } from '../client/client-service.ts';
import type { UserTokens } from '../oauth/tokens/user-tokens.ts';
import type { Principal } from './bearer.ts';
import { ApiError } from './errors.ts';

export type CredentialKind = 'pat' | 'first-party' | 'third-party' | 'client';

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}

export async function credentialKind(principal: Principal, clients: Pick<ClientService, 'find'>): Promise<CredentialKind> {
  if (principal.kind === 'pat') return 'pat';
  if (principal.subject === principal.clientId) return 'client';
  return (await clients.find(principal.clientId))?.firstParty ? 'first-party' : 'third-party';
}

/** The principal of a request that may manage its user's account; 403 for any other kind of credential. */
export async function accountOwner(request: FastifyRequest, clients: Pick<ClientService, 'find'>): Promise<Principal> {
  const principal = principalOf(request);
  const kind = await credentialKind(principal, clients);
  if (kind === 'client') {
    throw new ApiError(403, 'user_token_required', 'this endpoint needs a token that acts for a user; a client-credentials token acts for the app itself');
  }
  if (kind === 'third-party') {
    throw new ApiError(403, 'first_party_required', "this endpoint manages the user's account: only the user's personal access token or the operator's first-party apps may call it");
  }
  return principal;
}

/**
 * When the calling credential's grant ends (epoch ms; null: never): a PAT's
 * expiry, or for an OAuth token the later of its own expiry and its refresh
 * family's, which is how long the app may go on acting for the user.
 */
export async function grantEndsAt(principal: Principal, userTokens: Pick<UserTokens, 'refreshEndsAt'>): Promise<number | null> {
  if (principal.kind === 'pat' || principal.authorizationId === undefined) return principal.expiresAtMs;
  const refreshEnds = await userTokens.refreshEndsAt(principal.authorizationId);
  return Math.max(principal.expiresAtMs ?? 0, refreshEnds ?? 0);
}
