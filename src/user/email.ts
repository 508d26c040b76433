// Email addresses as account names. Two addresses that look the same must be
// the same account: they are compared after Unicode NFKC normalization (a
// fullwidth ａ becomes a) and lower-casing, and characters that do not show
// (zero-width, soft hyphen, text-direction controls, other control and format
// characters) are refused, so no look-alike can register beside an account.
const EMAIL = /^[^\s@]+@[^\s@]+$/u;
/** Format (Cf: zero-width, bidi controls, soft hyphen), control (Cc), unassigned, and line/paragraph separators. */
const INVISIBLE = /[\p{Cf}\p{Cc}\p{Cn}\p{Zl}\p{Zp}]/u;
export const MAX_EMAIL_LENGTH = 254;

export const normalizeEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();

/** What is wrong with a normalized address, as a sentence for people; null if nothing. */
export function emailProblem(email: string): string | null {
  if (INVISIBLE.test(email)) return 'An email address cannot contain invisible or text-direction characters.';
  if (!EMAIL.test(email) || email.length > MAX_EMAIL_LENGTH) return 'Enter an email address, such as name@example.com.';
  return null;
}
