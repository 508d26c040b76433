// Personal access token format: `gth_` + 43 base62 characters (256 random
// bits) + a 6-character base62 CRC32 checksum, so secret scanners can find
// leaked tokens and reject look-alikes without asking the server.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const PAT_PREFIX = 'gth_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const PAT_PATTERN = /^gth_[0-9A-Za-z]{49}$/;

function base62(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

const checksum = (body: string): string => base62(BigInt(crc32(body)), CHECKSUM_LENGTH);

export function newPersonalAccessToken(): string {
  const body = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  return `${PAT_PREFIX}${body}${checksum(body)}`;
}

/** Shape and checksum only; says nothing about whether the token exists. */
export function isWellFormedPat(token: string): boolean {
  if (!PAT_PATTERN.test(token)) return false;
  const body = token.slice(PAT_PREFIX.length, PAT_PREFIX.length + BODY_LENGTH);
  return token.slice(PAT_PREFIX.length + BODY_LENGTH) === checksum(body);
}
