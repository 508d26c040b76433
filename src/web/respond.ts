// How pages answer: a rendered page with the security headers every page
// carries, or a 303 after a POST.
import type { FastifyReply } from 'fastify';

// No inline script, no framing, no referrer: RFC 9700 §4.16 and the checklist.
const csp = (formAction: string[]) =>
  `default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; form-action ${["'self'", ...formAction].join(' ')}; frame-ancestors 'none'; base-uri 'none'`;

export const PAGE_HEADERS = {
  'content-security-policy': csp([]),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * Sends a rendered page with the security headers every interactive page
 * carries. `formTargets` widens CSP form-action, which browsers also apply to
 * the redirect after a POST (the consent page redirects to the client).
 */
export function sendPage(reply: FastifyReply, body: string, options: { status?: number; formTargets?: string[] } = {}): FastifyReply {
  const headers = options.formTargets?.length ? { ...PAGE_HEADERS, 'content-security-policy': csp(options.formTargets) } : PAGE_HEADERS;
  return reply.code(options.status ?? 200).headers(headers).type('text/html; charset=utf-8').send(body);
}

/** Redirect after a POST: 303, so the browser does not re-send the form (RFC 9700 §4.12). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}
