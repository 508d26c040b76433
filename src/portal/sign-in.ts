// Sign-in and sign-out. The sign-in form uses a double-submit CSRF cookie (there
// is no session yet); signing in starts a new session, so a session id planted
// before sign-in is worthless (session fixation).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { seeOther, sendPage } from '../web/plugin.ts';
import { formFields, PageError } from '../web/error-page.ts';
import { signInFormTargets } from '../oauth/authorize-request.ts';

/**
 * `value` if it is a path on this origin, else `/`. Browsers read `//host`
 * and `/\host` as another host, and drop tabs and newlines, so only a single
 * leading `/` followed by printable ASCII without backslashes is kept.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 4000) return '/';
  return /^\/(?![/\\])[!-~]*$/.test(value) && !value.includes('\\') ? value : '/';
}

interface FormState {
  email?: string;
  error?: string;
  status?: number;
}

export function signInRoutes(app: FastifyInstance, services: Services): void {
  const { sessions, credentials, clients } = services;

  const showForm = async (request: FastifyRequest, reply: FastifyReply, returnTo: string, state: FormState = {}) => {
    const csrf = sessions.preSessionCsrf(request, reply);
    const body = html`<div class="card">
<h1>Sign in</h1>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="${csrf}">
<input type="hidden" name="return_to" value="${returnTo}">
<label for="email">Email</label>
<input type="email" id="email" name="email" value="${state.email ?? ''}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
</div>`;
    const formTargets = await signInFormTargets(clients, returnTo);
    return sendPage(reply, page({ title: 'Sign in', body, narrow: true }), { status: state.status, formTargets });
  };

  app.get('/login', async (request, reply) => {
    return showForm(request, reply, safeReturnTo((request.query as Record<string, unknown>).return_to));
  });

  app.post('/login', async (request, reply) => {
    const fields = formFields(request);
    const returnTo = safeReturnTo(fields.return_to);
    const email = fields.email ?? '';
    if (!sessions.preSessionCsrfValid(request, fields.csrf_token)) {
      return showForm(request, reply, returnTo, { email, status: 403, error: 'The sign-in form expired. Please try again.' });
    }
    const result = await credentials.check(email, fields.password ?? '', request.ip);
    if (!result.ok && result.reason === 'throttled') {
      reply.header('retry-after', String(result.retryAfter));
      return showForm(request, reply, returnTo, { email, status: 429, error: 'Too many attempts, try again later.' });
    }
    if (!result.ok) return showForm(request, reply, returnTo, { email, status: 401, error: 'The email or password is incorrect.' });
    await sessions.signIn(request, reply, result.user);
    return seeOther(reply, returnTo);
  });

  app.post('/logout', async (request, reply) => {
    const fields = formFields(request);
    const signedIn = await sessions.current(request);
    if (signedIn && !sessions.csrfValid(signedIn, fields.csrf_token)) {
      throw new PageError(403, 'This form has expired or was not sent from Gatehouse.', 'Request refused');
    }
    await sessions.signOut(request, reply);
    return seeOther(reply, '/login');
  });
}
