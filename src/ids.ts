import { randomBytes } from 'node:crypto';

// Lower-case letters and digits: readable, URL-safe, 5 bits a character.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random id with a type prefix, e.g. `p-3k9x…` for a process. */
export function newId(prefix: string, length = 20): string {
  const bytes = randomBytes(length);
  let id = '';
  // 252 = 7 × 36: rejecting larger bytes keeps every character equally likely.
  for (const byte of bytes) if (byte < 252) id += ALPHABET[byte % 36];
  while (id.length < length) id += newId('', length - id.length);
  return `${prefix}${id}`;
}

export const now = (): string => new Date().toISOString();
