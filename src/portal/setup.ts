// /setup: the first run. With the one-time token the server logged at start
// (and only while no user exists), a form creates the first admin and signs
// them in. Without the right token there is no set-up page at all: 404.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/user-service.ts';
import { formFields } from '../web/error-page.ts';
import { html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { seeOther, sendPage } from '../web/plugin.ts';
import { fieldError, invalidAttrs, notFound } from '../web/widgets.ts';

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
<label for="setup-password">Password</label>
<p class="hint" id="setup-password-hint">At least ${MIN_PASSWORD_LENGTH} characters.</p>
<input type="password" id="setup-password" name="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${invalidAttrs('setup-password-error', errors.password, 'setup-password-hint')}>
${fieldError('setup-password-error', errors.password)}
<label for="setup-confirm">Confirm password</label>
<input type="password" id="setup-confirm" name="confirm" autocomplete="new-password" required${invalidAttrs('setup-confirm-error', errors.confirm)}>
${fieldError('setup-confirm-error', errors.confirm)}
<div class="actions"><button type="submit">Create admin account</button></div>
</form>
</div>`;
    return sendPage(reply, page({ title: 'Set up Gatehouse', body, narrow: true }), { status: state.status });
  };

  // No schema: a malformed query must get the same 404 as a wrong token, not a 400.
  app.get<{ Querystring: { token?: unknown } }>('/setup', async (request, reply) => {
    const { token } = request.query;
    if (typeof token !== 'string' || !(await firstRun.valid(token))) throw notFound();
    return showForm(request, reply, token, { email: '', errors: {} });
  });

  app.post('/setup', async (request, reply) => {
    const fields = formFields(request);
    const token = fields.token ?? '';
    // The token first: without it, nothing here exists, not even a CSRF error.
    if (!(await firstRun.valid(token))) throw notFound();
    const email = fields.email ?? '';
    if (!sessions.preSessionCsrfValid(request, fields.csrf_token)) {
      return showForm(request, reply, token, { email, errors: {}, status: 403, error: 'The form expired. Please try again.' });
    }
    const password = fields.password ?? '';
    if (password !== (fields.confirm ?? '')) {
      return showForm(request, reply, token, { email, errors: { confirm: 'The passwords do not match.' }, status: 422 });
    }
    let user;
    try {
      user = await firstRun.createAdmin(token, { email, password });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const errors: FormState['errors'] = {};
      for (const e of error.errors) {
        if (e.field === 'email') errors.email = 'Enter an email address.';
        if (e.field === 'password') errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
      }
      return showForm(request, reply, token, { email, errors, status: 422 });
    }
    if (!user) throw notFound();
    await sessions.signIn(request, reply, user);
    return seeOther(reply, '/apps');
  });
}
