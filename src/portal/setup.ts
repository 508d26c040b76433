// /setup: the first run. With the one-time token the server logged at start
// (and only while no user exists), a form creates the first admin and signs
// them in. Without the right token there is no set-up page at all: 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/user-service.ts';
import { notFound } from '../web/error-page.ts';
import { html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { fieldError, invalidAttrs, newPasswordFields } from '../web/widgets.ts';
import { pageAuditContext } from '../web/audit-context.ts';

interface FormState {
  email: string;
  error?: string;
  errors: { email?: string; password?: string; confirm?: string };
  status?: number;
}

export function setupPages(app: FastifyInstance, services: Services): void {
  const { sessions, firstRun } = services;

  const showForm = (request: FastifyRequest, reply: FastifyReply, token: string, state: FormState) => {
    const csrf = sessions.preSessionCsrf(request, reply);
    const { errors } = state;
    const body = html`<div class="card">
<h1>Set up Gatehouse</h1>
<p class="muted">No account exists yet. Create the first administrator: they can add users, and this link stops working once they exist.</p>
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
<form method="post" action="/setup">
<input type="hidden" name="csrf_token" value="${csrf}">
<input type="hidden" name="token" value="${token}">
<label for="setup-email">Email</label>
<input type="email" id="setup-email" name="email" value="${state.email}" autocomplete="username" required autofocus${invalidAttrs('setup-email-error', errors.email)}>
${fieldError('setup-email-error', errors.email)}
${newPasswordFields('setup', errors, { password: 'Password', confirm: 'Confirm password' }, MIN_PASSWORD_LENGTH)}
<div class="actions"><button type="submit">Create admin account</button></div>
</form>
</div>`;
    return sendPage(reply, renderPage(request, { title: 'Set up Gatehouse', body, narrow: true }), { status: state.status });
  };

  // No schema: a malformed query must get the same 404 as a wrong token, not a 400.
  app.get<{ Querystring: { token?: unknown } }>('/setup', { config: { access: 'public' } }, async (request, reply) => {
    const { token } = request.query;
    if (typeof token !== 'string' || !(await firstRun.valid(token))) throw notFound();
    return showForm(request, reply, token, { email: '', errors: {} });
  });

  app.post('/setup', { config: { access: 'public', csrf: 'pre-session' } }, async (request, reply) => {
    const fields = request.form;
    const token = fields.token ?? '';
    if (!(await firstRun.valid(token))) throw notFound();
    const email = fields.email ?? '';
    const password = fields.password ?? '';
    if (password !== (fields.confirm ?? '')) {
      return showForm(request, reply, token, { email, errors: { confirm: 'The passwords do not match.' }, status: 422 });
    }
    let user;
    try {
      user = await firstRun.createAdmin(token, { email, password }, pageAuditContext(request));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const errors: FormState['errors'] = {};
      for (const e of error.errors) {
        if (e.field === 'email') errors.email = e.message;
        if (e.field === 'password') errors.password = e.message;
      }
      return showForm(request, reply, token, { email, errors, status: 422 });
    }
    if (!user) throw notFound();
    await sessions.signIn(request, reply, user);
    return seeOther(reply, '/apps');
  });
}
