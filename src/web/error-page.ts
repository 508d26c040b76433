// Errors on server-rendered pages are pages too, never JSON, and never a
// redirect: an error page is the safe answer when a request cannot be trusted.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DuplicateParameterError } from '../http/form-body.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { sendPage } from './respond.ts';
import { isStoreUnavailable, RETRY_AFTER_SECONDS } from '../store/unavailable.ts';

/** An error shown to the user as a page with this status and message. */
export class PageError extends Error {
  readonly status: number;
  readonly title: string;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, title = 'Something went wrong', headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.title = title;
    this.headers = headers;
  }
}

/** The 404 page, for addresses that do not exist and pages that must not reveal that they exist. */
export const notFound = (): PageError => new PageError(404, 'There is no page at this address. Check it, or start again from the home page.', 'Page not found');

export function sendErrorPage(reply: FastifyReply, error: PageError): FastifyReply {
  const signedIn = reply.request.signedIn ?? null;
  const body = html`<div class="card"><h1>${error.title}</h1><p class="error" role="alert">${error.message}</p>
<p><a href="/">Go to Gatehouse</a></p></div>`;
  reply.headers(error.headers);
  return sendPage(reply, page({ title: error.title, body, narrow: true, user: signedIn?.user, csrfToken: signedIn?.session.csrfToken }), { status: error.status });
}

/** The one error handler of every page (see page-layer.ts). */
export function pageErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof PageError) return sendErrorPage(reply, error);
  if (error instanceof DuplicateParameterError) return sendErrorPage(reply, new PageError(400, error.message, 'Invalid request'));
  const status = error.statusCode ?? 500;
  if (status === 404) return sendErrorPage(reply, notFound());
  if (status === 415) return sendErrorPage(reply, new PageError(415, 'This form must be sent as a normal HTML form.', 'Invalid request'));
  if (status >= 400 && status < 500) return sendErrorPage(reply, new PageError(status, 'The request could not be understood. Check the address, or go back and try again.', 'Invalid request'));
  if (isStoreUnavailable(error)) {
    return sendErrorPage(reply, new PageError(503, 'Gatehouse cannot reach its database just now. Please try again in a few seconds.', 'Temporarily unavailable', { 'retry-after': String(RETRY_AFTER_SECONDS) }));
  }
  request.log.error({ err: error }, 'unexpected error on a page');
  return sendErrorPage(reply, new PageError(500, 'The server met an unexpected error. Please try again later.'));
}

/** The fields of a form POST; refuses any other body so that duplicates are always detected. */
export function formFields(request: FastifyRequest): Record<string, string> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) throw new PageError(415, 'This form must be sent as a normal HTML form.', 'Invalid request');
  return (request.body ?? {}) as Record<string, string>;
}

/** For the not-found handler: whether a request for an unknown address should get the HTML 404 page. */
export function wantsHtml(request: FastifyRequest): boolean {
  const path = request.url;
  if (path.startsWith('/api/') || path.startsWith('/.well-known/')) return false;
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}
