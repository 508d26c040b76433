// RFC 8628 §3.4–3.5: the device polls with its device_code until the user decides.
import type { Store } from '../../store/store.ts';
import { hashSecret } from '../../security/secrets.ts';
import { now } from '../../ids.ts';
import { OAuthError } from '../errors.ts';
import type { UserTokens } from '../tokens/user-tokens.ts';
import type { Grant, GrantRequest, TokenResponse } from './grant.ts';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// RFC 8628 §3.5: each slow_down adds 5 seconds to the interval.
const SLOW_DOWN_STEP = 5;

export class DeviceCodeGrant implements Grant {
  readonly type = DEVICE_CODE_GRANT;
  readonly #store: Store;
  readonly #tokens: UserTokens;

  constructor(store: Store, tokens: UserTokens) {
    this.#store = store;
    this.#tokens = tokens;
  }

  async handle({ client, params }: GrantRequest): Promise<TokenResponse> {
    if (!params.device_code) throw new OAuthError('invalid_request', 'device_code is required');
    const hash = hashSecret(params.device_code);
    const device = await this.#store.deviceAuthorizations.findByDeviceCodeHash(hash);
    if (!device || device.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'the device code is invalid');
    const at = now();
    if (device.expiresAt <= at) throw new OAuthError('expired_token', 'the device code has expired; start again');
    if (device.status === 'denied') throw new OAuthError('access_denied', 'the user denied the request');
    if (device.status === 'consumed') throw new OAuthError('invalid_grant', 'the device code has already been used');

    if (device.status === 'pending') {
      const tooSoon = device.lastPolledAt !== null && Date.parse(at) - Date.parse(device.lastPolledAt) < device.intervalSeconds * 1000;
      const interval = tooSoon ? device.intervalSeconds + SLOW_DOWN_STEP : device.intervalSeconds;
      await this.#store.deviceAuthorizations.recordPoll(hash, at, interval);
      if (tooSoon) throw new OAuthError('slow_down', `polling too fast; wait ${interval} seconds between requests`);
      throw new OAuthError('authorization_pending', 'the user has not decided yet');
    }

    return this.#store.transaction(async (tx) => {
      if (!(await tx.deviceAuthorizations.consume(hash))) throw new OAuthError('invalid_grant', 'the device code has already been used');
      const authorization = await this.#tokens.authorize(tx, device.userId!, client, device.scopes);
      return this.#tokens.issue(tx, authorization, client, device.scopes);
    });
  }
}
