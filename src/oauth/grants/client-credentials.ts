// RFC 6749 §4.4: the client acts for itself, in the workspace it belongs to.
import type { AccessTokens } from '../tokens/access-token.ts';
import { resolveScopes } from '../scope-request.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

export class ClientCredentialsGrant implements Grant {
  readonly type = 'client_credentials';
  readonly #tokens: AccessTokens;

  constructor(tokens: AccessTokens) {
    this.#tokens = tokens;
  }

  async handle({ client, params }: GrantRequest): Promise<TokenResponse> {
    const scopes = resolveScopes(params.scope, client.scopes, client.defaultScopes);
    const issued = await this.#tokens.issue({ subject: client.clientId, clientId: client.clientId, scopes, workspaceId: client.workspaceId });
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scopes.join(' ') };
  }
}
