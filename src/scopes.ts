// The scopes that the API knows. A broader scope includes narrower ones:
// `process` (change processes and steps) includes running them
// (`process_execute`) and reading (`process_read`).

export const SCOPES: Record<string, string> = {
  process_read: 'Read processes, their steps and their runs',
  process_execute: 'Start, cancel and restart runs, and approve or reject their steps (includes process_read)',
  process: 'Create and change processes, their steps and webhooks (includes process_execute and process_read)',
};

const IMPLIES: Record<string, string[]> = {
  process: ['process_read', 'process_execute'],
  process_execute: ['process_read'],
};

export const isKnownScope = (scope: string): boolean => Object.hasOwn(SCOPES, scope);

/** Splits a space-delimited scope string (RFC 6749 §3.3), dropping empty parts. */
export function parseScope(value: string): string[] {
  return [...new Set(value.split(' ').filter((s) => s.length > 0))];
}

/** True if the granted scopes allow `needed`, directly or through a broader scope. */
export function grants(granted: ReadonlySet<string>, needed: string): boolean {
  if (granted.has(needed)) return true;
  for (const scope of granted) if (IMPLIES[scope]?.includes(needed)) return true;
  return false;
}
