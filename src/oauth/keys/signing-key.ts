// A signing key as stored, and its repository.
import type { JsonWebKey } from 'node:crypto';

export interface SigningKey {
  kid: string;
  alg: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  createdAt: string;
  retiredAt: string | null;
}

export interface SigningKeyRepository {
  insert(key: SigningKey): Promise<void>;
  listActive(): Promise<SigningKey[]>;
}
