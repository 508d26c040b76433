// The authorization request (RFC 6749 §4.1.1, RFC 7636, RFC 9700), checked in
// two stages. First the client and its redirect URI: until both are known
// good, an error is shown as a page and never redirected (no open
// redirector). After that, errors go back to the client's redirect URI.
import type { Client } from '../client/client.ts';
import type { ClientService } from '../client/client-service.ts';
import { DuplicateParameterError, parseForm } from '../http/form-body.ts';
import { PageError } from '../web/error-page.ts';
import { OAuthError } from './errors.ts';
import { matchRedirectUri } from './redirect-match.ts';
import { resolveScopes } from './scope-request.ts';

/** The parameters the consent form carries over; any others are ignored (RFC 6749 §3.1). */
export const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Where the response goes, once client and redirect URI are verified. */
export interface ResponseTarget {
  redirectUri: string;
  state: string | undefined;
}

export interface VerifiedClient extends ResponseTarget {
  client: Client;
  redirectUriSent: boolean;
}

export interface AuthorizeRequest extends VerifiedClient {
  scopes: string[];
  codeChallenge: string | null;
  /** The authorization parameters as sent, for the consent form. */
  params: Record<string, string>;
}

/** An error for the client, sent to its (verified) redirect URI. */
export class AuthorizeRedirectError extends Error {
  readonly target: ResponseTarget;
  readonly oauth: OAuthError;
  constructor(target: ResponseTarget, oauth: OAuthError) {
    super(oauth.message);
    this.target = target;
    this.oauth = oauth;
  }
}

const invalidRequestPage = (message: string) =>
  new PageError(400, `${message} The application that sent you here may be misconfigured.`, 'Invalid authorization request');

/** The query string's parameters; a repeated one is an error page (RFC 6749 §3.1). */
export function parseAuthorizeQuery(query: string): Record<string, string> {
  try {
    return parseForm(query);
  } catch (error) {
    if (error instanceof DuplicateParameterError) throw invalidRequestPage(`The parameter "${error.parameter}" is repeated.`);
    throw error;
  }
}

/** Stage one: the client and redirect URI. Throws a PageError, never a redirect. */
export async function verifyClient(clients: ClientService, params: Record<string, string>): Promise<VerifiedClient> {
  if (!params.client_id) throw invalidRequestPage('The request does not name an application (client_id).');
  const client = await clients.find(params.client_id);
  if (!client) throw invalidRequestPage('The application (client_id) is unknown.');
  if (client.ownerDisabled) throw invalidRequestPage('This application is disabled.');
  if (!client.grantTypes.includes('authorization_code')) throw invalidRequestPage('This application may not ask for authorization in the browser.');
  const match = matchRedirectUri(client.redirectUris, params.redirect_uri);
  if (!match) {
    throw invalidRequestPage(params.redirect_uri === undefined
      ? 'The request must name a redirect_uri: the application has several.'
      : 'The redirect_uri is not registered for this application.');
  }
  return { client, redirectUri: match.uri, redirectUriSent: match.sent, state: params.state };
}

function checkPkce(client: Client, params: Record<string, string>): string | null {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method was sent without a code_challenge');
    if (client.isPublic || client.requirePkce) throw new OAuthError('invalid_request', 'this client must use PKCE: code_challenge is required');
    return null;
  }
  // No method means "plain" (RFC 7636 §4.3), which is refused like an explicit one.
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  if (!CHALLENGE.test(challenge)) throw new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters (S256)');
  return challenge;
}

/** Both stages. Throws a PageError (stage one) or an AuthorizeRedirectError (stage two). */
export async function verifyAuthorizeRequest(clients: ClientService, params: Record<string, string>): Promise<AuthorizeRequest> {
  const verified = await verifyClient(clients, params);
  const { client } = verified;
  try {
    if (params.response_type === undefined) throw new OAuthError('invalid_request', 'response_type is required');
    // Only the code flow: `token` is the implicit grant, which RFC 9700 §2.1.2 retires.
    if (params.response_type !== 'code') throw new OAuthError('unsupported_response_type', 'response_type must be code');
    const scopes = resolveScopes(params.scope, client.scopes, client.defaultScopes);
    const codeChallenge = checkPkce(client, params);
    const carried: Record<string, string> = {};
    for (const name of AUTHORIZE_PARAMS) if (params[name] !== undefined) carried[name] = params[name];
    return { ...verified, scopes, codeChallenge, params: carried };
  } catch (error) {
    if (error instanceof OAuthError) throw new AuthorizeRedirectError(verified, error);
    throw error;
  }
}

/** The CSP source for a redirect URI, so that a form may submit towards it. */
export function formTargetOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  // CSP host sources cannot express an IPv6 literal; a native app's scheme is a scheme source.
  if (url.hostname === '[::1]' || (url.protocol !== 'http:' && url.protocol !== 'https:')) return url.protocol;
  return url.origin;
}

/**
 * What a sign-in form that continues to `returnTo` needs to know when that is
 * an authorization request whose client and redirect URI check out: the app's
 * name ("Sign in to continue to …"), and the CSP form target of its redirect
 * URI (the browser goes from the form straight on to the client, and browsers
 * apply form-action to every redirect after a form submission).
 */
export async function signInContext(clients: ClientService, returnTo: string): Promise<{ formTargets: string[]; appName?: string }> {
  const url = new URL(returnTo, 'http://gatehouse.invalid');
  if (url.pathname !== '/oauth/authorize') return { formTargets: [] };
  try {
    const verified = await verifyClient(clients, Object.fromEntries(url.searchParams));
    return { formTargets: [formTargetOf(verified.redirectUri)], appName: verified.client.name };
  } catch {
    return { formTargets: [] };
  }
}
