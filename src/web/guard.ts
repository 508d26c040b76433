// Page guards: who is signed in, and whether a form's CSRF token is right.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService, SignedIn } from './session.ts';
import { html } from './html.ts';
import { page } from './layout.ts';
import { seeOther, sendPage } from './plugin.ts';

/**
 * The signed-in user, or null after sending the browser to sign in (and
 * back here afterwards). Callers return the reply when this gives null.
 */
export async function signedInOrRedirect(sessions: SessionService, request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | null> {
  const signedIn = await sessions.current(request);
  if (signedIn) return signedIn;
  seeOther(reply, `/login?return_to=${encodeURIComponent(request.url)}`);
  return null;
}

/** Checks the session's CSRF token on a POST; sends a 403 page and returns false when it is wrong. */
export function csrfOk(sessions: SessionService, signedIn: SignedIn, submitted: unknown, reply: FastifyReply): boolean {
  if (typeof submitted === 'string' && sessions.csrfValid(signedIn, submitted)) return true;
  sendPage(reply, page({
    title: 'Request refused',
    narrow: true,
    user: signedIn.user,
    csrfToken: signedIn.session.csrfToken,
    body: html`<div class="card"><h1>Request refused</h1><p>The form was stale or did not come from this site. Go back, reload the page and try again.</p></div>`,
  }), { status: 403 });
  return false;
}
