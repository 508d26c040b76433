// The server's signing keys. One ES256 key is generated on first start and
// kept in the store; every node loads the same keys from there.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningKey } from './signing-key.ts';
import type { Store } from '../../store/store.ts';
import { now } from '../../ids.ts';

export const SIGNING_ALG = 'ES256';

interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

// A token with an unknown kid makes the ring re-read the store (a key made
// by another node), but not more often than this.
const RELOAD_INTERVAL_MS = 5_000;

async function generate(): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = publicKey.export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint(publicJwk as JWK);
  return {
    kid,
    alg: SIGNING_ALG,
    privateJwk: privateKey.export({ format: 'jwk' }),
    publicJwk,
    createdAt: now(),
    retiredAt: null,
  };
}

function load(key: SigningKey): LoadedKey {
  const publicJwk = key.publicJwk as JsonWebKey;
  return {
    kid: key.kid,
    privateKey: createPrivateKey({ key: key.privateJwk, format: 'jwk' }),
    publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
    publicJwk: { ...(publicJwk as JWK), kid: key.kid, alg: key.alg, use: 'sig' },
  };
}

export class KeyRing {
  readonly #store: Store;
  #keys: LoadedKey[] = [];
  #lastReload = 0;

  private constructor(store: Store) {
    this.#store = store;
  }

  static async open(store: Store): Promise<KeyRing> {
    const ring = new KeyRing(store);
    let keys = await store.signingKeys.listActive();
    if (keys.length === 0) {
      await store.signingKeys.insert(await generate());
      keys = await store.signingKeys.listActive();
    }
    ring.#use(keys);
    return ring;
  }

  #use(keys: SigningKey[]): void {
    // Oldest first, so nodes that raced to create a key all sign with the same one.
    const sorted = [...keys].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.kid.localeCompare(b.kid));
    this.#keys = sorted.map(load);
    this.#lastReload = Date.now();
  }

  /** The key new tokens are signed with. */
  get signing(): { kid: string; privateKey: KeyObject } {
    const key = this.#keys[0];
    if (!key) throw new Error('no signing key loaded');
    return key;
  }

  /** The public half of every active key, for /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  /** The public key for `kid`, re-reading the store (throttled) when it is unknown. */
  async verificationKey(kid: string | undefined): Promise<KeyObject | undefined> {
    const find = () => this.#keys.find((k) => k.kid === kid)?.publicKey;
    const key = find();
    if (key || kid === undefined || Date.now() - this.#lastReload < RELOAD_INTERVAL_MS) return key;
    this.#lastReload = Date.now();
    this.#use(await this.#store.signingKeys.listActive());
    return find();
  }
}
