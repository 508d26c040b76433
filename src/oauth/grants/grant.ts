// The interface every grant implements: one file per grant type in this folder.
import type { Client } from '../../client/client.ts';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface GrantRequest {
  client: Client;
  params: Record<string, string>;
  /** The caller's address, for throttling (and the audit log of the grants that record one). */
  ip: string;
  /** The request's id, for the audit log. */
  requestId: string;
}

export interface Grant {
  /** The `grant_type` value this grant answers. */
  readonly type: string;
  handle(request: GrantRequest): Promise<TokenResponse>;
}
