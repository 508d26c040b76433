import type { Client } from './client.ts';
import type { Store } from '../store/store.ts';
import type { RevocationList } from '../oauth/tokens/revocation-list.ts';
import { NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { hashSecret, randomToken } from '../security/secrets.ts';
import { isKnownScope, SCOPES } from '../scopes.ts';
import { newId, now } from '../ids.ts';
import { redirectUriProblem } from './redirect-uri.ts';
import { ReadCache } from '../store/read-cache.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export const GRANT_TYPES = [
  'authorization_code',
  'client_credentials',
  'password',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;

export const SECRET_PREFIX = 'gcs_';
/** What a client may ask for when registered without scopes: everything (`process` includes process_execute). */
export const DEFAULT_CLIENT_SCOPES = ['process_read', 'process'] as const;
/** 26 characters of [a-z0-9]: about 134 bits, so ids cannot be guessed. */
export const CLIENT_ID_LENGTH = 26;

/**
 * Who asks for a change: an admin (or the operator's CLI) may allow the
 * password grant, which hands users' passwords to the app and skips consent;
 * anyone else may keep it where it is, but not add it.
 */
export interface ClientActor {
  admin: boolean;
}

export const OPERATOR: ClientActor = { admin: true };

export interface NewClientInput {
  workspaceId: string;
  createdBy: string;
  name: string;
  redirectUris?: string[];
  grantTypes?: string[];
  scopes?: string[];
  isPublic?: boolean;
  firstParty?: boolean;
  requirePkce?: boolean;
}

/** What can change after a client is registered (not its type, nor its secret). */
export interface ClientUpdate {
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[];
}

export interface IssuedClient {
  client: Client;
  /** Shown once; only its hash is stored. Null for public clients. */
  clientSecret: string | null;
}

/** What the audit log keeps of a client's settings: never its secret. */
const settingsOf = (client: Client) => ({
  name: client.name, public: client.isPublic, grant_types: client.grantTypes, scopes: client.scopes, redirect_uris: client.redirectUris,
});

function newSecret(): string {
  return SECRET_PREFIX + randomToken(32);
}

function defaultGrants(isPublic: boolean, hasRedirects: boolean): string[] {
  if (isPublic) return ['authorization_code', 'refresh_token'];
  return hasRedirects ? ['client_credentials', 'authorization_code', 'refresh_token'] : ['client_credentials'];
}

export const MAX_REDIRECT_URIS = 20;

function passwordGrantAllowed(actor: ClientActor, grantTypes: string[], before: string[]): void {
  if (!actor.admin && grantTypes.includes('password') && !before.includes('password')) {
    throw new ValidationError([{ field: 'grant_types', message: 'only an administrator can allow the password grant' }]);
  }
}

function validate(input: { name: string; isPublic?: boolean }, redirectUris: string[], grantTypes: string[], scopes: string[]): void {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (name.length === 0 || name.length > 200) errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
  if (redirectUris.length > MAX_REDIRECT_URIS) errors.push({ field: 'redirect_uris', message: `at most ${MAX_REDIRECT_URIS} redirect URIs` });
  redirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) errors.push({ field: `redirect_uris[${i}]`, message: problem });
  });
  if (grantTypes.length === 0) errors.push({ field: 'grant_types', message: 'at least one grant type is needed' });
  for (const grant of grantTypes) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      errors.push({ field: 'grant_types', message: `unknown grant type "${grant}"; known: ${GRANT_TYPES.join(', ')}` });
    }
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    errors.push({ field: 'redirect_uris', message: 'the authorization_code grant needs at least one redirect URI' });
  }
  if (input.isPublic && grantTypes.some((g) => g === 'client_credentials' || g === 'password')) {
    errors.push({ field: 'grant_types', message: 'a public client cannot use client_credentials or password' });
  }
  if (scopes.length === 0) errors.push({ field: 'scopes', message: 'at least one scope is needed' });
  for (const scope of scopes) {
    if (!isKnownScope(scope)) {
      errors.push({ field: 'scopes', message: `unknown scope "${scope}"; known: ${Object.keys(SCOPES).join(', ')}` });
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
}

export interface ClientServiceOptions {
  /** Where deleting a client records that its access tokens are revoked. */
  revocations: RevocationList;
  /** How long an access token lives, seconds: the revocation entry must outlive them. */
  accessTokenTtl: number;
  /** Where registrations, changes, rotations and deletions are recorded. */
  audit: AuditLog;
}

// Every token request looks its client up, so clients are cached. A change
// made here drops the entry at once; one made on another node (or by the CLI)
// reaches this one through the revocation list's feed within about a second;
// and no entry lives longer than this in any case.
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

export class ClientService {
  readonly #store: Store;
  readonly #revocations: RevocationList;
  readonly #accessTokenTtl: number;
  readonly #audit: AuditLog;
  readonly #cache = new ReadCache<Client>({ ttlMs: CACHE_TTL_MS, size: CACHE_SIZE });

  constructor(store: Store, options: ClientServiceOptions) {
    this.#store = store;
    this.#revocations = options.revocations;
    this.#accessTokenTtl = options.accessTokenTtl;
    this.#audit = options.audit;
    const forget = (clientId: string) => this.#cache.delete(clientId);
    this.#revocations.onChange('client_changed', forget);
    this.#revocations.onEntry('client', forget);
  }

  /** Drops cached copies here and, through the feed, on every other node. */
  async #changed(clientId: string, store: Store = this.#store): Promise<void> {
    this.#cache.delete(clientId);
    await this.#revocations.announce('client_changed', clientId, store);
  }

  /**
   * Registers a client. Grants and scopes left out (undefined) get defaults;
   * given but empty is an error. `audit` says who, for the audit log.
   */
  async create(input: NewClientInput, actor: ClientActor, audit: AuditContext): Promise<IssuedClient> {
    const isPublic = input.isPublic ?? false;
    const redirectUris = [...new Set(input.redirectUris ?? [])];
    const grantTypes = input.grantTypes ? [...new Set(input.grantTypes)] : defaultGrants(isPublic, redirectUris.length > 0);
    const scopes = input.scopes ? [...new Set(input.scopes)] : [...DEFAULT_CLIENT_SCOPES];
    passwordGrantAllowed(actor, grantTypes, []);
    validate(input, redirectUris, grantTypes, scopes);

    const clientSecret = isPublic ? null : newSecret();
    const at = now();
    const client: Client = {
      // Letters and digits only: an id must never look like a CLI flag or need escaping.
      clientId: newId('', CLIENT_ID_LENGTH),
      workspaceId: input.workspaceId,
      createdBy: input.createdBy,
      name: input.name.trim(),
      secretHash: clientSecret === null ? null : hashSecret(clientSecret),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      isPublic,
      firstParty: input.firstParty ?? false,
      // PKCE is always required of public clients; confidential ones may opt in.
      requirePkce: isPublic || (input.requirePkce ?? false),
      grantTypes,
      scopes,
      defaultScopes: scopes,
      redirectUris,
      createdAt: at,
      updatedAt: at,
      ownerDisabled: false,
    };
    await this.#store.clients.insert(client);
    await this.#audit.record(audit, 'client.created', { type: 'client', id: client.clientId }, settingsOf(client));
    return { client, clientSecret };
  }

  /** The client, from the cache when it is fresh (the token endpoint's hot path) unless `fresh` asks for the store. */
  async find(clientId: string, options: { fresh?: boolean } = {}): Promise<Client | undefined> {
    const cached = options.fresh ? undefined : this.#cache.get(clientId);
    if (cached) return cached;
    const client = await this.#store.clients.findById(clientId);
    if (client) this.#cache.set(clientId, client);
    else this.#cache.delete(clientId);
    return client;
  }

  /** The client whose current or previous secret this is; the caller still checks it (grace period). */
  findBySecret(secret: string): Promise<Client | undefined> {
    return this.#store.clients.findBySecretHash(hashSecret(secret));
  }

  /** The email of the user who registered the client, for consent screens ("made by …"). */
  async ownerEmail(client: Client): Promise<string | null> {
    return (await this.#store.users.findById(client.createdBy))?.email ?? null;
  }

  async require(clientId: string): Promise<Client> {
    const client = await this.#store.clients.findById(clientId);
    if (!client) throw new NotFoundError(`no client with id ${clientId}`);
    return client;
  }

  list(): Promise<Client[]> {
    return this.#store.clients.list();
  }

  listInWorkspace(workspaceId: string): Promise<Client[]> {
    return this.#store.clients.listInWorkspace(workspaceId);
  }

  /**
   * Changes a client's settings, validated as at registration. Its type
   * cannot change; default scopes follow the allowed scopes, as at creation.
   */
  async update(clientId: string, fields: ClientUpdate, actor: ClientActor, audit: AuditContext): Promise<Client> {
    const client = await this.require(clientId);
    const redirectUris = [...new Set(fields.redirectUris)];
    const grantTypes = [...new Set(fields.grantTypes)];
    const scopes = [...new Set(fields.scopes)];
    passwordGrantAllowed(actor, grantTypes, client.grantTypes);
    validate({ name: fields.name, isPublic: client.isPublic }, redirectUris, grantTypes, scopes);
    const change = { name: fields.name.trim(), redirectUris, grantTypes, scopes, defaultScopes: scopes, at: now() };
    if (!(await this.#store.clients.update(clientId, change))) throw new NotFoundError(`no client with id ${clientId}`);
    await this.#changed(clientId);
    const { at, ...settings } = change;
    const updated = { ...client, ...settings, updatedAt: at };
    await this.#audit.record(audit, 'client.updated', { type: 'client', id: clientId }, settingsOf(updated));
    return updated;
  }

  /**
   * Issues a new secret. The old one keeps working for `graceSeconds`, so a
   * deployment can switch over without downtime; 0 ends it at once.
   */
  async rotateSecret(clientId: string, graceSeconds: number, audit: AuditContext): Promise<IssuedClient> {
    const client = await this.require(clientId);
    if (client.isPublic) throw new ValidationError([{ field: 'client_id', message: 'a public client has no secret' }]);
    const clientSecret = newSecret();
    const at = new Date();
    const change = {
      secretHash: hashSecret(clientSecret),
      previousSecretHash: graceSeconds > 0 ? client.secretHash : null,
      previousSecretExpiresAt: graceSeconds > 0 ? new Date(at.getTime() + graceSeconds * 1000).toISOString() : null,
      at: at.toISOString(),
    };
    await this.#store.clients.updateSecret(clientId, change);
    await this.#changed(clientId);
    await this.#audit.record(audit, 'client.secret_rotated', { type: 'client', id: clientId }, { grace_seconds: graceSeconds });
    return { client: { ...client, ...change, updatedAt: change.at }, clientSecret };
  }

  /**
   * Deletes a client and ends every token it holds, in one transaction: its
   * authorizations, codes, refresh tokens and consents go with it (foreign
   * keys cascade), and a client-wide revocation refuses its live access
   * tokens (JWTs that are otherwise valid until they expire).
   */
  async delete(clientId: string, audit: AuditContext): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const client = await tx.clients.findById(clientId);
      if (!client || !(await tx.clients.delete(clientId))) throw new NotFoundError(`no client with id ${clientId}`);
      await this.#revocations.revoke('client', clientId, this.#accessTokenTtl, tx);
      await this.#audit.record(audit, 'client.deleted', { type: 'client', id: clientId }, { name: client.name }, tx);
    });
  }
}
