// Random tokens, hashes for high-entropy secrets, and password hashing.
import { argon2, hash, randomBytes, timingSafeEqual } from 'node:crypto';

// Random bytes come from a pool filled 4 KiB at a time: one system call per
// hundred or so tokens instead of one each. Each slice is used once.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `bytes` random bytes as base64url; 32 bytes = 256 bits. */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('base64url');
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return token;
}

/** 128 random bits as base64url (a jti). */
export const randomId128 = (): string => randomToken(16);

/**
 * Hash for high-entropy secrets (client secrets, refresh tokens, PATs). These
 * cannot be guessed, so a slow hash would only cap throughput; SHA-256 is enough.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Constant-time comparison of two strings (of any length). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function secretMatches(secret: string, storedHash: string | null): boolean {
  return storedHash !== null && safeEqual(hashSecret(secret), storedHash);
}

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const ARGON2 = { memory: 19_456, passes: 2, parallelism: 1, tagLength: 32 };

function argon2id(password: string, nonce: Buffer, params: typeof ARGON2): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', { message: password, nonce, ...params }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password to a PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await argon2id(password, salt, ARGON2);
  const { memory: m, passes: t, parallelism: p } = ARGON2;
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/;

export async function verifyPassword(password: string, phc: string | null): Promise<boolean> {
  const match = phc ? PHC.exec(phc) : null;
  if (!match) return false;
  const [, m, t, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const actual = await argon2id(password, Buffer.from(salt, 'base64url'), {
    memory: Number(m), passes: Number(t), parallelism: Number(p), tagLength: expected.length,
  });
  return timingSafeEqual(actual, expected);
}
