// Sign-in and sign-out. The sign-in form uses a double-submit CSRF cookie (there
// is no session yet); signing in starts a new session, so a session id planted
// before sign-in is worthless (session fixation).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { signInContext } from '../oauth/authorize-request.ts';
import { durationInWords } from '../duration.ts';
import { pageAuditContext } from '../web/audit-context.ts';

/**
 * `value` if it is a path on this origin, else `/`. Browsers read `//host`
 * and `/\\host` as another host, and drop tabs and newlines, so only a single
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
  /** Shown above the form when there is no error, e.g. after a password reset. */
  info?: string;
}

export function signInRoutes(app: FastifyInstance, services: Services): void {
  const { sessions, credentials, clients } = services;

  const showForm = async (request: FastifyRequest, reply: FastifyReply, returnTo: string, state: FormState = {}) => {
    const csrf = sessions.preSessionCsrf(request, reply);
    const { formTargets, appName } = await signInContext(clients, returnTo);
    const body = html`<div class="card">
<h1>Sign in</h1>
${appName ? html`<p class="lead">to continue to <strong>${appName}</strong></p>` : ''}
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
${state.info && !state.error ? html`<p class="notice" role="status">${state.info}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="${csrf}">
<input type="hidden" name="return_to" value="${returnTo}">
<label for="email">Email</label>
<input type="email" id="email" name="email" value="${state.email ?? ''}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><button type="submit">Sign in</button></div>
</form>
<p class="muted small">Forgot your password? Ask an administrator for a reset link.</p>
</div>`;
    const title = appName ? `Sign in to continue to ${appName}` : 'Sign in';
    return sendPage(reply, renderPage(request, { title, body, narrow: true }), { status: state.status, formTargets });
  };

  app.get('/login', { config: { access: 'public' } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const info = query.reset === '1' ? 'Your password was changed. Sign in with the new one.' : undefined;
    return showForm(request, reply, safeReturnTo(query.return_to), { info });
  });

  app.post('/login', { config: { access: 'public', csrf: 'pre-session' } }, async (request, reply) => {
    const fields = request.form;
    const returnTo = safeReturnTo(fields.return_to);
    const email = fields.email ?? '';
    const result = await credentials.signIn(email, fields.password ?? '', 'password_form', pageAuditContext(request));
    if (!result.ok && result.reason === 'throttled') {
      reply.header('retry-after', String(result.retryAfter));
      return showForm(request, reply, returnTo, {
        email, status: 429, error: `Too many failed sign-ins. Wait ${durationInWords(result.retryAfter)} and try again.`,
      });
    }
    if (!result.ok) return showForm(request, reply, returnTo, { email, status: 401, error: 'The email or password is incorrect.' });
    await sessions.signIn(request, reply, result.user);
    return seeOther(reply, returnTo);
  });

  app.post('/logout', { config: { access: 'optional', csrf: 'if-signed-in' } }, async (request, reply) => {
    await sessions.signOut(request, reply);
    return seeOther(reply, '/login');
  });
}
