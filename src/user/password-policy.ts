// What a new password must be (NIST SP 800-63B §3.1.1.2): long enough, and
// not one of the passwords people use most, checked against the 49,000
// most common passwords that zxcvbn-ts ships (@zxcvbn-ts/language-common,
// from leaked-password corpora), case-insensitively. No composition rules:
// NIST advises against them.
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 8;
/** Well above what anyone types; bounds the work a sign-in can ask of argon2. */
export const MAX_PASSWORD_LENGTH = 1024;

let common: Set<string> | undefined;
/** Built on first use: about 18,000 of the list's entries are long enough to matter. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= MIN_PASSWORD_LENGTH).map((p) => p.toLowerCase()));
  return common;
}

/** What is wrong with `password` as a new password, as a sentence for people; null if nothing. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (commonPasswords().has(password.toLowerCase())) return 'This is one of the most common passwords, so it is among the first an attacker tries. Choose another.';
  return null;
}
