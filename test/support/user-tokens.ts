// User tokens without a browser (the password grant), refreshes, and POSTs to
// the revocation and introspection endpoints.
import assert from 'node:assert/strict';
import { importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { Store } from '../../src/store/store.ts';
import { createClient, type ClientFixture } from './fixtures.ts';
import { basicAuthorization, fetchJson, tokenRequest, type JsonResponse } from './http.ts';
import type { TestServer } from './server.ts';

export interface UserTokenPair {
  access_token: string;
  refresh_token?: string;
  scope: string;
}

/** A confidential client with the password and refresh_token grants (plus `flags`). */
export function passwordClient(server: TestServer, owner: string, ...flags: string[]): Promise<ClientFixture> {
  return createClient(server, owner, '--grant', 'password', '--grant', 'refresh_token', ...flags);
}

const secretOf = (client: ClientFixture) => ({ client_id: client.client_id, client_secret: client.client_secret ?? '' });

export function passwordGrant(server: TestServer, client: ClientFixture, user: { email: string; password: string }, extra: Record<string, string> = {}): Promise<JsonResponse> {
  return tokenRequest(server, { grant_type: 'password', username: user.email, password: user.password, ...secretOf(client), ...extra });
}

/** Tokens for `user` through `client`'s password grant; asserts success. */
export async function userTokens(server: TestServer, client: ClientFixture, user: { email: string; password: string }, extra: Record<string, string> = {}): Promise<UserTokenPair> {
  const response = await passwordGrant(server, client, user, extra);
  assert.equal(response.status, 200, response.text);
  return response.body as unknown as UserTokenPair;
}

export function refresh(server: TestServer, client: ClientFixture, refreshToken: string, extra: Record<string, string> = {}): Promise<JsonResponse> {
  return tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken, ...secretOf(client), ...extra });
}

export interface EndpointOptions {
  /** Authenticate with Basic instead of client_secret_post. */
  basic?: boolean;
  json?: boolean;
  /** Send these parameters as they are, without the client's credentials. */
  bare?: boolean;
}

/** POST to /oauth/revoke or /oauth/introspect as `client` (or with no credentials). */
export function oauthPost(server: TestServer, path: '/oauth/revoke' | '/oauth/introspect', client: ClientFixture | null, params: Record<string, string>, options: EndpointOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  let fields = params;
  if (client && options.basic) headers.authorization = basicAuthorization(client.client_id, client.client_secret ?? '');
  else if (client && !options.bare) fields = { ...(client.client_secret === null ? { client_id: client.client_id } : secretOf(client)), ...params };
  headers['content-type'] = options.json ? 'application/json' : 'application/x-www-form-urlencoded';
  const body = options.json ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
  return fetchJson(`${server.url}${path}`, { method: 'POST', headers, body });
}

export const revoke = (server: TestServer, client: ClientFixture | null, params: Record<string, string>, options?: EndpointOptions) =>
  oauthPost(server, '/oauth/revoke', client, params, options);

export const introspect = (server: TestServer, client: ClientFixture | null, params: Record<string, string>, options?: EndpointOptions) =>
  oauthPost(server, '/oauth/introspect', client, params, options);

/** Polls `check` every 100 ms until it returns true or `ms` pass; returns how long it took, or null. */
export async function within(ms: number, check: () => Promise<boolean>): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

/** Signs `claims` as an access token with the server's own key, read from its store. */
export async function signWithServerKey(store: Store, claims: JWTPayload): Promise<string> {
  const [key] = await store.signingKeys.listPublished(new Date().toISOString());
  assert.ok(key, 'the server made a signing key');
  const privateKey = await importJWK(JSON.parse(key.privateJwk) as JWK, 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(privateKey);
}
