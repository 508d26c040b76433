// A signing key as stored, and its repository.
import type { JsonWebKey } from 'node:crypto';

export interface SigningKey {
  kid: string;
  alg: string;
  /** The private JWK as JSON, or sealed with the key-encryption key (GATEHOUSE_KEY_ENCRYPTION_KEY). */
  privateJwk: string;
  publicJwk: JsonWebKey;
  /** Published in the JWKS from then. */
  createdAt: string;
  /** Signs from then (until a later key activates). */
  activatesAt: string;
  /** When a later key took over signing; null while none has. */
  retiredAt: string | null;
  /** When it leaves the JWKS (every token it signed has expired); null while it signs. */
  removesAt: string | null;
}

export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  /** Keys still in the JWKS at `now`, newest first. */
  listPublished(now: string): Promise<SigningKey[]>;
  /** Every key, removed ones too, newest first (for `gatehouse keys list`). */
  listAll(): Promise<SigningKey[]>;
  /** Every key but `kid` not retired yet stops signing at `retiredAt` and leaves the JWKS at `removesAt`. */
  retireOthers(kid: string, retiredAt: string, removesAt: string): Promise<void>;
  /** Replaces a key's stored private half (sealing a plain one). */
  setPrivateJwk(kid: string, privateJwk: string): Promise<void>;
}
