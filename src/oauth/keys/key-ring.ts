// The server's signing keys, kept in the store and shared by every node.
// A key is published in the JWKS when it is made and signs only from its
// activation, GATEHOUSE_KEY_PUBLISH_SECONDS later, so that every node and
// every verifier caching the JWKS knows it first. When the next key
// activates, the old one stops signing and stays in the JWKS until every
// token it signed has expired. Keys rotate every GATEHOUSE_KEY_ROTATION_DAYS
// (one node does it: an advisory lock on PostgreSQL) or by
// `gatehouse keys rotate`; other nodes hear of it on the change feed, and
// re-read the keys each minute anyway. Private keys can be sealed at rest with
// GATEHOUSE_KEY_ENCRYPTION_KEY.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningKey } from './signing-key.ts';
import type { Store } from '../../store/store.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import type { ChangeFeed } from '../../feed/change-feed.ts';

export const SIGNING_ALGS = ['ES256', 'EdDSA'] as const;
export type SigningAlg = typeof SIGNING_ALGS[number];

/** A key as the ring uses it. */
export interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  activatesAtMs: number;
  removesAtMs: number | null;
}

export interface KeyRingOptions {
  /** The algorithm of keys made from now on. */
  alg: SigningAlg;
  /** How long a token signed by a key may live: the key stays published that long after it stops signing. */
  accessTokenTtlSeconds: number;
  /** How long a new key is published before it signs. */
  publishSeconds: number;
  /** Days between automatic rotations; 0: only by hand. */
  rotationDays: number;
  /** Seals private keys at rest; null: they are stored as JWK JSON. */
  box: SecretBox | null;
}

export interface KeyInfo {
  kid: string;
  alg: string;
  /** pending: published, not signing yet; signing; retired: published for the tokens it signed; removed: gone from the JWKS. */
  status: 'pending' | 'signing' | 'retired' | 'removed';
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  removesAt: string | null;
}


// A token with an unknown kid makes the ring re-read the store (a key made
// by another node), but not more often than this.
const RELOAD_INTERVAL_MS = 1_000;
const CHECK_MS = 60_000;
// Clocks of nodes differ a little: a key leaves the JWKS this long after its last token expires.
const REMOVAL_MARGIN_MS = 60_000;
const SEALED = /^v1\./;

async function generate(alg: SigningAlg, nowMs: number, activatesAtMs: number, box: SecretBox | null): Promise<SigningKey> {
  const { privateKey, publicKey } = alg === 'EdDSA'
    ? generateKeyPairSync('ed25519')
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = publicKey.export({ format: 'jwk' });
  const privateJwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
  return {
    kid: await calculateJwkThumbprint(publicJwk as JWK),
    alg,
    privateJwk: box ? box.seal(privateJwk) : privateJwk,
    publicJwk,
    createdAt: new Date(nowMs).toISOString(),
    activatesAt: new Date(activatesAtMs).toISOString(),
    retiredAt: null,
    removesAt: null,
  };
}

export class KeyRing {
  readonly #store: Store;
  readonly #options: KeyRingOptions;
  #keys: LoadedKey[] = [];
  #signing: LoadedKey | undefined;
  /** When the signing key must be chosen again (the next activation). */
  #chooseAgainAt = 0;
  #lastReload = 0;
  #timer: NodeJS.Timeout | undefined;
  /** A check for a due rotation under way in this process: others wait for it rather than rotate again. */
  #rotating: Promise<boolean> | undefined;
  readonly #changes: ChangeFeed | undefined;

  private constructor(store: Store, options: KeyRingOptions, changes: ChangeFeed | undefined) {
    this.#store = store;
    this.#options = options;
    this.#changes = changes;
  }

  /** Loads the keys, making the first one if there is none, and seals plain private keys if a key-encryption key is set. */
  static async open(store: Store, options: KeyRingOptions, changes?: ChangeFeed): Promise<KeyRing> {
    const ring = new KeyRing(store, options, changes);
    let keys = await store.signingKeys.listPublished(new Date().toISOString());
    if (keys.length === 0) {
      const nowMs = Date.now();
      await store.signingKeys.insert(await generate(options.alg, nowMs, nowMs, options.box));
      keys = await store.signingKeys.listPublished(new Date().toISOString());
    }
    if (options.box) {
      for (const key of keys.filter((k) => !SEALED.test(k.privateJwk))) await store.signingKeys.setPrivateJwk(key.kid, options.box.seal(key.privateJwk));
    }
    ring.#use(keys);
    return ring;
  }

  #load(key: SigningKey): LoadedKey {
    let privateJwk = key.privateJwk;
    if (SEALED.test(privateJwk)) {
      if (!this.#options.box) throw new Error('the signing keys are sealed: set GATEHOUSE_KEY_ENCRYPTION_KEY to the key they were sealed with');
      privateJwk = this.#options.box.open(privateJwk);
    }
    const publicJwk = key.publicJwk as JsonWebKey;
    return {
      kid: key.kid,
      alg: key.alg as SigningAlg,
      privateKey: createPrivateKey({ key: JSON.parse(privateJwk) as JsonWebKey, format: 'jwk' }),
      publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
      publicJwk: { ...(publicJwk as JWK), kid: key.kid, alg: key.alg, use: 'sig' },
      activatesAtMs: Date.parse(key.activatesAt),
      removesAtMs: key.removesAt === null ? null : Date.parse(key.removesAt),
    };
  }

  #use(keys: SigningKey[]): void {
    const known = new Map(this.#keys.map((k) => [k.kid, k]));
    // A key already loaded is reused (its private half is not unsealed and parsed again); its times may have changed.
    this.#keys = keys.map((key) => {
      const loaded = known.get(key.kid);
      return loaded
        ? { ...loaded, activatesAtMs: Date.parse(key.activatesAt), removesAtMs: key.removesAt === null ? null : Date.parse(key.removesAt) }
        : this.#load(key);
    });
    this.#lastReload = Date.now();
    this.#chooseAgainAt = 0;
  }

  /**
   * The key new tokens are signed with: of those active, the one activated
   * last (ties by kid, so every node picks the same); before any is, the first to come.
   */
  get signing(): LoadedKey {
    const nowMs = Date.now();
    if (nowMs < this.#chooseAgainAt && this.#signing) return this.#signing;
    const active = this.#keys.filter((k) => k.activatesAtMs <= nowMs && (k.removesAtMs === null || k.removesAtMs > nowMs));
    const byActivation = (a: LoadedKey, b: LoadedKey) => a.activatesAtMs - b.activatesAtMs || a.kid.localeCompare(b.kid);
    this.#signing = active.sort(byActivation).at(-1) ?? [...this.#keys].sort(byActivation)[0];
    if (!this.#signing) throw new Error('no signing key loaded');
    const next = this.#keys.map((k) => k.activatesAtMs).filter((at) => at > nowMs);
    this.#chooseAgainAt = next.length > 0 ? Math.min(...next) : Number.POSITIVE_INFINITY;
    return this.#signing;
  }

  /** The public half of every published key, for /.well-known/jwks.json. */
  jwks(nowMs = Date.now()): { keys: JWK[] } {
    return { keys: this.#keys.filter((k) => k.removesAtMs === null || k.removesAtMs > nowMs).map((k) => k.publicJwk) };
  }

  /** The public key for `kid` and its algorithm, re-reading the store (throttled) when it is unknown. */
  async verificationKey(kid: string | undefined): Promise<{ key: KeyObject; alg: SigningAlg } | undefined> {
    const find = () => {
      const found = this.#keys.find((k) => k.kid === kid && (k.removesAtMs === null || k.removesAtMs > Date.now()));
      return found && { key: found.publicKey, alg: found.alg };
    };
    const key = find();
    if (key || kid === undefined || Date.now() - this.#lastReload < RELOAD_INTERVAL_MS) return key;
    await this.reload();
    return find();
  }

  async reload(): Promise<void> {
    this.#lastReload = Date.now();
    this.#use(await this.#store.signingKeys.listPublished(new Date().toISOString()));
  }

  /**
   * Makes a new key of the configured algorithm, published now and signing
   * after the publish delay (at once if `immediately`: an emergency, when
   * verifiers that cache the JWKS may refuse tokens until they re-read it).
   * Every older key stops signing then, and leaves the JWKS once its last token has expired.
   */
  async rotate(options: { immediately?: boolean } = {}): Promise<{ kid: string; previousKid: string | null; activatesAt: string }> {
    const nowMs = Date.now();
    const activatesAtMs = options.immediately ? nowMs : nowMs + this.#options.publishSeconds * 1000;
    const key = await generate(this.#options.alg, nowMs, activatesAtMs, this.#options.box);
    const previousKid = this.signing.kid;
    await this.#store.transaction(async (tx) => {
      await tx.signingKeys.insert(key);
      await tx.signingKeys.retireOthers(key.kid, key.activatesAt, new Date(activatesAtMs + this.#options.accessTokenTtlSeconds * 1000 + REMOVAL_MARGIN_MS).toISOString());
      await this.#changes?.announce('keys_changed', 'keys', tx);
    });
    await this.reload();
    return { kid: key.kid, previousKid, activatesAt: key.activatesAt };
  }

  /** Rotates if the newest key is older than the rotation period; true if it did. */
  async rotateIfDue(onRotated: (rotation: { kid: string; previousKid: string | null }) => void): Promise<boolean> {
    if (this.#options.rotationDays <= 0) return false;
    if (this.#rotating) {
      await this.#rotating;
      return false;
    }
    this.#rotating = this.#rotateIfDue(onRotated);
    try {
      return await this.#rotating;
    } finally {
      this.#rotating = undefined;
    }
  }

  async #rotateIfDue(onRotated: (rotation: { kid: string; previousKid: string | null }) => void): Promise<boolean> {
    const due = () => {
      const newest = Math.max(...this.#keys.map((k) => k.activatesAtMs));
      return Date.now() - newest >= this.#options.rotationDays * 86_400_000;
    };
    if (!due()) return false;
    let rotated = false;
    await this.#store.exclusively('key-rotation', async () => {
      await this.reload();
      if (!due()) return;
      onRotated(await this.rotate());
      rotated = true;
    });
    return rotated;
  }

  /** Every key, removed ones too, newest first, with what it does now. */
  async list(nowMs = Date.now()): Promise<KeyInfo[]> {
    const signing = this.signing.kid;
    return (await this.#store.signingKeys.listAll()).map((key) => {
      const removed = key.removesAt !== null && Date.parse(key.removesAt) <= nowMs;
      const status: KeyInfo['status'] = removed ? 'removed' : key.kid === signing ? 'signing' : Date.parse(key.activatesAt) > nowMs && key.retiredAt === null ? 'pending' : 'retired';
      return { kid: key.kid, alg: key.alg, status, createdAt: key.createdAt, activatesAt: key.activatesAt, retiredAt: key.retiredAt, removesAt: key.removesAt };
    });
  }

  /** Re-reads the keys each minute and on news from other nodes, and rotates when due. */
  start(onRotated: (rotation: { kid: string; previousKid: string | null }) => void, onError: (error: unknown) => void): void {
    this.#changes?.onChange('keys_changed', () => void this.reload().catch(onError));
    const check = () => void this.reload().then(() => this.rotateIfDue(onRotated)).catch(onError);
    this.#timer = setInterval(check, CHECK_MS);
    this.#timer.unref();
    check();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
