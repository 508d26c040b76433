// Client authentication at the token, revocation and introspection endpoints:
// client_secret_basic, client_secret_post, and `none` for public clients.
import type { Client } from '../client/client.ts';
import type { ClientService } from '../client/client-service.ts';
import { secretMatches } from '../security/secrets.ts';
import { OAuthError } from './errors.ts';
import { now } from '../ids.ts';
import { FailureLimiter, type FailureRule } from '../security/failure-limiter.ts';
import type { AttemptCounterRepository } from '../security/attempt-counter.ts';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientCredentials {
  method: AuthMethod;
  /** Absent only for a client_secret_post that sent the secret alone. */
  clientId?: string;
  clientSecret?: string;
}

// RFC 6749 §2.3.1: id and secret are form-encoded before Base64.
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** Reads the credentials a request presents, refusing more than one method. */
export function readCredentials(authorization: string | undefined, params: Record<string, string>): ClientCredentials {
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  if (basic) {
    if (params.client_secret !== undefined) {
      throw new OAuthError('invalid_request', 'the client authenticated with more than one method');
    }
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('the Basic credentials are malformed', true);
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw invalidClient('the Basic credentials are malformed', true);
    }
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw new OAuthError('invalid_request', 'client_id does not match the Basic credentials');
    }
    return { method: 'client_secret_basic', clientId, clientSecret };
  }
  if (params.client_id === undefined || params.client_id === '') {
    // oauthlib's LegacyApplicationClient (seed guide 001) drops client_id and
    // sends client_secret alone; an unguessable secret names its client.
    if (params.client_secret) return { method: 'client_secret_post', clientSecret: params.client_secret };
    throw invalidClient('client authentication is required', false);
  }
  if (params.client_secret !== undefined) {
    return { method: 'client_secret_post', clientId: params.client_id, clientSecret: params.client_secret };
  }
  return { method: 'none', clientId: params.client_id };
}

export function invalidClient(description: string, basic: boolean, headers: Record<string, string> = {}): OAuthError {
  return new OAuthError('invalid_client', description, basic ? { 'WWW-Authenticate': 'Basic realm="gatehouse"', ...headers } : headers);
}

function secretAccepted(client: Client, secret: string): boolean {
  if (secretMatches(secret, client.secretHash)) return true;
  // During a rotation's grace period the previous secret still works.
  return client.previousSecretExpiresAt !== null
    && client.previousSecretExpiresAt > now()
    && secretMatches(secret, client.previousSecretHash);
}

async function verifyClient(clients: ClientService, credentials: ClientCredentials): Promise<Client> {
  const basic = credentials.method === 'client_secret_basic';
  const client = credentials.clientId !== undefined
    ? await clients.find(credentials.clientId)
    : await clients.findBySecret(credentials.clientSecret ?? '');
  // One message for an unknown client and a wrong secret, so neither can be probed.
  const failed = () => invalidClient('client authentication failed', basic);
  // A disabled user's apps stop working with them.
  if (!client || client.ownerDisabled) throw failed();
  if (credentials.method === 'none') {
    if (!client.isPublic) throw failed();
    return client;
  }
  if (client.isPublic) throw failed();
  if (secretAccepted(client, credentials.clientSecret ?? '')) return client;
  // The cached copy may predate a rotation made elsewhere: a new secret must work at once.
  const fresh = credentials.clientId !== undefined ? await clients.find(credentials.clientId, { fresh: true }) : undefined;
  if (fresh && !fresh.isPublic && !fresh.ownerDisabled && secretAccepted(fresh, credentials.clientSecret ?? '')) return fresh;
  throw failed();
}

/**
 * Failed client authentications allowed per client id and address, in ten
 * minutes (OAuth 2.1 §2.4.1: protect secrets against brute force). Secrets
 * carry 256 bits, so this is not what keeps them; it keeps anyone from
 * guessing without end, and each failure from costing a store read. By client
 * and address, not address alone: behind a proxy that is not configured as
 * trusted, every client shares one address, and one broken script would lock
 * them all out.
 */
const CLIENT_AUTH_FAILURES: FailureRule = { limit: 20, windowSeconds: 10 * 60 };
const MAX_KEYED_CLIENT_ID = 64;

/** Client authentication for the token, revocation, introspection and device endpoints. */
export class ClientAuthenticator {
  readonly #clients: ClientService;
  readonly #failures = new FailureLimiter(CLIENT_AUTH_FAILURES);
  readonly #shared: AttemptCounterRepository | undefined;

  /**
   * `shared`: counters every node shares (Redis). Failures are counted there
   * too, so the limit holds across nodes; successes still cost no round trip.
   */
  constructor(clients: ClientService, shared?: AttemptCounterRepository) {
    this.#clients = clients;
    this.#shared = shared;
  }

  /** The client `request` authenticates as, by the credentials in its Authorization header or `params`; invalid_client (401) if none. */
  async authenticate(request: { headers: { authorization?: string }; ip: string }, params: Record<string, string>): Promise<Client> {
    let credentials: ClientCredentials;
    try {
      credentials = readCredentials(request.headers.authorization, params);
    } catch (error) {
      await this.#counted(error, `|${request.ip}`);
      throw error;
    }
    // Client ids are 26 characters; a longer one (up to 4096) is cut, so that
    // failures with made-up ids cannot fill the limiter's memory with long keys.
    const key = `${(credentials.clientId ?? '').slice(0, MAX_KEYED_CLIENT_ID)}|${request.ip}`;
    const wait = this.#failures.retryAfter(key);
    if (wait > 0) {
      throw invalidClient(`too many failed client authentications; try again in ${wait} seconds`, credentials.method === 'client_secret_basic', { 'retry-after': String(wait) });
    }
    try {
      return await verifyClient(this.#clients, credentials);
    } catch (error) {
      await this.#counted(error, key);
      throw error;
    }
  }

  /** Counts `error` against `key` if it is a failed authentication (not, say, a malformed request). */
  async #counted(error: unknown, key: string): Promise<void> {
    if (!(error instanceof OAuthError && error.error === 'invalid_client')) return;
    this.#failures.fail(key);
    if (!this.#shared) return;
    const nowMs = Date.now();
    const { count, windowEndsAt } = await this.#shared.hit(`client-auth:${key}`, new Date(nowMs).toISOString(), new Date(nowMs + CLIENT_AUTH_FAILURES.windowSeconds * 1000).toISOString());
    if (count >= CLIENT_AUTH_FAILURES.limit) this.#failures.block(key, Date.parse(windowEndsAt));
  }
}
