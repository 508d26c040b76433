// ES256 signing for JWTs. node:crypto signs to DER in about 17 µs, but asking
// it for the JOSE (IEEE P1363, r‖s) form directly costs about 36 µs (measured,
// bench/jwt.ts), so we sign to DER and unwrap the two integers ourselves.
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

/** The base64url ES256 signature of `input` (a JWS signing input). */
export function signEs256(input: string, key: KeyObject): string {
  return derToJose(sign('sha256', Buffer.from(input), key)).toString('base64url');
}
