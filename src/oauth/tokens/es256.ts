// ES256 signing for JWTs. node:crypto signs to DER in about 27 µs, but asking
// it for the JOSE (IEEE P1363, r‖s) form directly costs about 55 µs (measured,
// bench/jwt.ts), so we sign to DER and unwrap the two integers ourselves.
//
// Signatures are made in batches: every one asked for during an event-loop
// turn is made together at the end of that turn (setImmediate). Under load a
// turn brings several requests, and signing them back to back, then writing
// their responses back to back, keeps OpenSSL's P-256 tables and each stage's
// code in cache: +25–33% client-credentials issuance (measured with
// `npm run bench:ab`). Alone, a request waits for nothing but the rest of its
// own turn.
import { sign, type KeyObject } from 'node:crypto';

const COORDINATE_BYTES = 32;

/** Copies a DER INTEGER's value into `out` at `offset` as a fixed 32-byte big-endian number. */
function writeInteger(der: Buffer, at: number, out: Buffer, offset: number): number {
  if (der[at] !== 0x02) throw new Error('ES256: the signature is not DER');
  const length = der[at + 1]!;
  let start = at + 2;
  let size = length;
  // DER adds a leading zero to keep a high-bit value positive; drop it.
  while (size > COORDINATE_BYTES && der[start] === 0) {
    start++;
    size--;
  }
  if (size > COORDINATE_BYTES) throw new Error('ES256: an integer is too long');
  der.copy(out, offset + COORDINATE_BYTES - size, start, start + size);
  return at + 2 + length;
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` to the 64-byte r‖s form JWS uses (RFC 7518 §3.4). */
export function derToJose(der: Buffer): Buffer {
  if (der[0] !== 0x30) throw new Error('ES256: the signature is not DER');
  // P-256 signatures are short enough for a one-byte length, except with long-form 0x81.
  const body = der[1] === 0x81 ? 3 : 2;
  const out = Buffer.alloc(COORDINATE_BYTES * 2);
  const next = writeInteger(der, body, out, 0);
  writeInteger(der, next, out, COORDINATE_BYTES);
  return out;
}

/** The base64url ES256 signature of `input` (a JWS signing input), made now. */
export function signEs256(input: string, key: KeyObject): string {
  return derToJose(sign('sha256', Buffer.from(input), key)).toString('base64url');
}

/** The base64url JWS signature of `input` with `key` of algorithm `alg` (ES256, or EdDSA with an Ed25519 key), made now. */
export function signJws(input: string, key: KeyObject, alg: 'ES256' | 'EdDSA'): string {
  // Ed25519 signs the message itself and its signature is already the 64 bytes JWS wants.
  return alg === 'EdDSA' ? sign(null, Buffer.from(input), key).toString('base64url') : signEs256(input, key);
}

interface PendingSignature {
  input: string;
  key: KeyObject;
  alg: 'ES256' | 'EdDSA';
  resolve: (signature: string) => void;
  reject: (error: unknown) => void;
}

/** Makes the signatures asked for in one event-loop turn together, at its end. */
export class BatchSigner {
  #pending: PendingSignature[] = [];
  readonly #flush = (): void => {
    const batch = this.#pending;
    this.#pending = [];
    for (const item of batch) {
      try {
        item.resolve(signJws(item.input, item.key, item.alg));
      } catch (error) {
        item.reject(error);
      }
    }
  };

  /** The base64url signature of `input`, made at the end of this turn. */
  sign(input: string, key: KeyObject, alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) setImmediate(this.#flush);
      this.#pending.push({ input, key, alg, resolve, reject });
    });
  }
}
