// RFC 8628: a device shows a short user code; a signed-in user enters it on
// /device and approves; the device polls the token endpoint meanwhile.
import { randomInt } from 'node:crypto';
import type { Client } from '../../client/client.ts';
import type { DeviceAuthorization } from './device-authorization.ts';
import type { Store } from '../../store/store.ts';
import type { User } from '../../user/user.ts';
import { hashSecret, randomToken } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { resolveScopes } from '../scope-request.ts';
import type { ConsentService } from '../consent-service.ts';
import type { AuditContext } from '../../audit/audit-event.ts';
import { Throttle, type ThrottleRule } from '../../security/throttle.ts';
import type { AttemptCounterRepository } from '../../security/attempt-counter.ts';

/**
 * Codes a user may enter on /device in 15 minutes, right or wrong: a user
 * code has about 34 bits. Never reset by a success, or approving a request
 * of one's own would buy unlimited guesses at other people's codes.
 */
const CODE_ENTRY: ThrottleRule = { name: 'device-code-entry', limit: 10, windowSeconds: 15 * 60 };

export type CodeLookup =
  | { ok: true; device: DeviceAuthorization; client: Client }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfter: number };

// RFC 8628 §6.1: consonants only (no words, no 0/O or 1/I confusion), 8 characters ≈ 34.5 bits.
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** The code as people type it: any case, with or without the dash or spaces. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '');
}

export const formatUserCode = (code: string): string => `${code.slice(0, 4)}-${code.slice(4)}`;

export class DeviceFlow {
  readonly #store: Store;
  readonly #consents: ConsentService;
  readonly #issuer: string;
  readonly #ttl: number;
  readonly #interval: number;
  readonly #throttle: Throttle;

  constructor(deps: { store: Store; consents: ConsentService; issuer: string; ttlSeconds: number; intervalSeconds: number; counters?: AttemptCounterRepository }) {
    this.#store = deps.store;
    this.#throttle = new Throttle(deps.counters ?? deps.store.attemptCounters);
    this.#consents = deps.consents;
    this.#issuer = deps.issuer;
    this.#ttl = deps.ttlSeconds;
    this.#interval = deps.intervalSeconds;
  }

  async start(client: Client, scope: string | undefined): Promise<DeviceAuthorizationResponse> {
    const scopes = resolveScopes(scope, client.scopes, client.defaultScopes);
    const deviceCode = randomToken(32);
    const userCode = newUserCode();
    const createdAt = Date.now();
    await this.#store.deviceAuthorizations.insert({
      deviceCodeHash: hashSecret(deviceCode),
      userCode,
      clientId: client.clientId,
      scopes,
      status: 'pending',
      userId: null,
      intervalSeconds: this.#interval,
      lastPolledAt: null,
      expiresAt: new Date(createdAt + this.#ttl * 1000).toISOString(),
      createdAt: new Date(createdAt).toISOString(),
    });
    const verificationUri = `${this.#issuer}/device`;
    return {
      device_code: deviceCode,
      user_code: formatUserCode(userCode),
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${formatUserCode(userCode)}`,
      expires_in: this.#ttl,
      interval: this.#interval,
    };
  }

  /** The pending request a user enters the code of, counted against the user's limit of code entries. */
  async enter(userCodeInput: string, user: User): Promise<CodeLookup> {
    const verdict = await this.#throttle.attempt([[CODE_ENTRY, user.id]]);
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfter: verdict.retryAfter };
    const found = await this.#pending(userCodeInput);
    return found ? { ok: true, ...found } : { ok: false, reason: 'invalid' };
  }

  /** A pending, unexpired request for this user code, with its client (not one whose owner is disabled); undefined otherwise. */
  async #pending(userCodeInput: string): Promise<{ device: DeviceAuthorization; client: Client } | undefined> {
    const userCode = normalizeUserCode(userCodeInput);
    if (userCode.length !== USER_CODE_LENGTH) return undefined;
    const device = await this.#store.deviceAuthorizations.findByUserCode(userCode);
    if (!device || device.status !== 'pending' || device.expiresAt <= now()) return undefined;
    const client = await this.#store.clients.findById(device.clientId);
    return client && !client.ownerDisabled ? { device, client } : undefined;
  }

  /** Approves or denies a request found by `enter`; false if it is no longer pending. `audit` is the user (an approval is a consent). */
  async decide(userCodeInput: string, user: User, approve: boolean, audit: AuditContext): Promise<boolean> {
    const found = await this.#pending(userCodeInput);
    if (!found) return false;
    const decided = await this.#store.deviceAuthorizations.decide(found.device.userCode, approve ? 'approved' : 'denied', user.id);
    if (decided && approve) await this.#consents.grant(user.id, found.client.clientId, found.device.scopes, audit);
    return decided;
  }
}
