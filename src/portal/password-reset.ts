// /reset-password?token=…: a one-time link an admin issued (the portal's
// Users page, or `gatehouse users reset-password`). Without a good token
// there is no page: 404. Setting the password uses the link up and signs the
// user out everywhere; they then sign in with the new password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/password-policy.ts';
import { RESET_PATH } from '../user/passwords.ts';
import { notFound } from '../web/error-page.ts';
import { html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { newPasswordFields } from '../web/widgets.ts';
import { pageAuditContext } from '../web/audit-context.ts';

interface FormState {
  errors: { password?: string; confirm?: string };
  status?: number;
}

export function passwordResetPages(app: FastifyInstance, services: Services): void {
  const { passwords, sessions } = services;

  const showForm = (request: FastifyRequest, reply: FastifyReply, token: string, email: string, state: FormState = { errors: {} }) => {
    const csrf = sessions.preSessionCsrf(request, reply);
    const { errors } = state;
    const body = html`<div class="card">
<h1>Choose a new password</h1>
<p class="muted">For <strong>${email}</strong>. This link works once.</p>
<form method="post" action="${RESET_PATH}">
<input type="hidden" name="csrf_token" value="${csrf}">
<input type="hidden" name="token" value="${token}">
<input type="text" name="username" value="${email}" autocomplete="username" hidden>
${newPasswordFields('reset', errors, undefined, MIN_PASSWORD_LENGTH)}
<div class="actions"><button type="submit">Set password</button></div>
</form>
</div>`;
    return sendPage(reply, renderPage(request, { title: 'Choose a new password', body, narrow: true }), { status: state.status });
  };

  // No schema: a malformed query gets the same 404 as a wrong token.
  app.get<{ Querystring: { token?: unknown } }>(RESET_PATH, { config: { access: 'public' } }, async (request, reply) => {
    const { token } = request.query;
    const check = await passwords.checkReset(token);
    if (!check.ok || typeof token !== 'string') throw notFound();
    return showForm(request, reply, token, check.user.email);
  });

  app.post(RESET_PATH, { config: { access: 'public', csrf: 'pre-session' } }, async (request, reply) => {
    const fields = request.form;
    const token = fields.token ?? '';
    const check = await passwords.checkReset(token);
    if (!check.ok) throw notFound();
    const password = fields.password ?? '';
    if (password !== (fields.confirm ?? '')) {
      return showForm(request, reply, token, check.user.email, { errors: { confirm: 'The passwords do not match.' }, status: 422 });
    }
    try {
      if (!(await passwords.resetWith(token, password, pageAuditContext(request)))) throw notFound();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return showForm(request, reply, token, check.user.email, { errors: { password: error.errors[0]?.message }, status: 422 });
    }
    // The browser may hold a session of this user's: it ended with the reset.
    reply.clearCookie(sessions.sessionCookie, sessions.cookieOptions());
    return seeOther(reply, '/login?reset=1');
  });
}
