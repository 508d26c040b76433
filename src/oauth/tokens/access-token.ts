// RFC 9068 JWT access tokens: signed here with node:crypto's synchronous
// ES256 (measured several times faster than jose's async path, see
// bench/jwt.ts), at once or in batches per event-loop turn (es256.ts),
// verified with jose, and verified only once per token thanks to a cache.
import type { KeyObject } from 'node:crypto';
import { randomId128 } from '../../security/secrets.ts';
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { KeyRing } from '../keys/key-ring.ts';
import { SIGNING_ALGS, type SigningAlg } from '../keys/key-ring.ts';
import { BatchSigner, signJws } from './es256.ts';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  /** The workspace the token acts in. */
  ws: string;
  /** The authorization (refresh-token family) a user's token belongs to. */
  gid?: string;
}

export interface AccessTokenGrant {
  subject: string;
  clientId: string;
  scopes: string[];
  workspaceId: string;
  authorizationId?: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

export class InvalidTokenError extends Error {}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export class AccessTokens {
  readonly #keys: KeyRing;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #ttl: number;
  readonly #verified = new Map<string, AccessTokenClaims>();
  readonly #cacheSize: number;
  readonly #signer = new BatchSigner();
  /** The encoded JOSE header for the current key; the same for every token. */
  #header = { kid: '', segment: '' };

  constructor(options: { keys: KeyRing; issuer: string; audience: string; ttlSeconds: number; cacheSize?: number }) {
    this.#keys = options.keys;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#ttl = options.ttlSeconds;
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  /**
   * A token signed with the others asked for in this event-loop turn
   * (es256.ts): for requests that come straight from the network, as the
   * client credentials grant's do, each in a turn of its own.
   */
  async issue(grant: AccessTokenGrant): Promise<IssuedAccessToken> {
    const { input, privateKey, alg, claims } = this.#unsigned(grant);
    return { accessToken: `${input}.${await this.#signer.sign(input, privateKey, alg)}`, expiresIn: this.#ttl, claims };
  }

  /**
   * A token signed at once: for grants that resume from a store write, which
   * SQLite commits for a whole turn together (store/node-sqlite.ts), so they
   * already come back one after another; another turn's wait cost the
   * refresh grant 5% (measured).
   */
  issueNow(grant: AccessTokenGrant): IssuedAccessToken {
    const { input, privateKey, alg, claims } = this.#unsigned(grant);
    return { accessToken: `${input}.${signJws(input, privateKey, alg)}`, expiresIn: this.#ttl, claims };
  }

  /** The claims of a new token and its JWS signing input, with the key to sign it. */
  #unsigned(grant: AccessTokenGrant): { input: string; privateKey: KeyObject; alg: SigningAlg; claims: AccessTokenClaims } {
    const { kid, alg, privateKey } = this.#keys.signing;
    const iat = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: this.#issuer,
      sub: grant.subject,
      aud: this.#audience,
      exp: iat + this.#ttl,
      iat,
      jti: randomId128(),
      client_id: grant.clientId,
      scope: grant.scopes.join(' '),
      ws: grant.workspaceId,
      ...(grant.authorizationId ? { gid: grant.authorizationId } : {}),
    };
    if (this.#header.kid !== kid) this.#header = { kid, segment: base64url({ alg, typ: 'at+jwt', kid }) };
    return { input: `${this.#header.segment}.${base64url(claims)}`, privateKey, alg, claims };
  }

  /** Whether `token` is one verify() accepted and still holds (it may have expired since). */
  isCached(token: string): boolean {
    return this.#verified.has(token);
  }

  /** Verifies signature, `typ`, `iss`, `aud` and `exp`; throws InvalidTokenError. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.#verified.get(token);
    if (cached) {
      if (cached.exp > Date.now() / 1000) return cached;
      this.#verified.delete(token);
      throw new InvalidTokenError('the access token has expired');
    }
    const claims = await this.#verifySignedToken(token);
    if (this.#verified.size >= this.#cacheSize) {
      // Drop the oldest entry; Map keeps insertion order.
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(token, claims);
    return claims;
  }

  async #verifySignedToken(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, async (header: JWTHeaderParameters) => {
        const found = await this.#keys.verificationKey(header.kid);
        if (!found) throw new InvalidTokenError('the access token was not signed by this server');
        // The key's own algorithm only: a token cannot pick another for it.
        if (header.alg !== found.alg) throw new InvalidTokenError('the access token\'s alg does not match its key');
        return found.key;
      }, {
        algorithms: [...SIGNING_ALGS],
        typ: 'at+jwt',
        issuer: this.#issuer,
        audience: this.#audience,
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'scope', 'ws'],
      });
      for (const claim of ['sub', 'client_id', 'scope', 'ws', 'jti'] as const) {
        if (typeof payload[claim] !== 'string') throw new InvalidTokenError(`the access token's ${claim} is not a string`);
      }
      return payload as unknown as AccessTokenClaims;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError('the access token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new InvalidTokenError(`the access token's ${error.claim} claim is not valid here`);
      }
      throw new InvalidTokenError('the access token is malformed or its signature is invalid');
    }
  }
}
