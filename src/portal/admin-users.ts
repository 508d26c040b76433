// /admin/users: admins list, create, disable and enable accounts, and issue
// one-time password-reset links. Everyone else gets the 404 page, so the
// page's existence is not revealed (the page layer's `admin` access).
// Disabling ends the user's sessions, personal access tokens, OAuth tokens and
// apps at once (AccountAdmin); an admin cannot disable their own account.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { User } from '../user/user.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/user-service.ts';
import type { IssuedReset } from '../user/passwords.ts';
import { PageError } from '../web/error-page.ts';
import { OneTimeFlash } from '../web/flash.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { COPY_SCRIPT_TAG, copyButton, dateOf, fieldError, invalidAttrs } from '../web/widgets.ts';
import { readableTime } from './applications-views.ts';
import { pageAuditContext } from '../web/audit-context.ts';

const PATH = '/admin/users';

interface FormState {
  email: string;
  admin: boolean;
  errors: { email?: string; password?: string };
}

interface ResetShown extends IssuedReset {
  email: string;
}

const emptyForm = (): FormState => ({ email: '', admin: false, errors: {} });
const idParams = { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } };

function userRow(user: User, request: FastifyRequest): Html {
  const { user: self, session } = me(request);
  const disabled = user.disabledAt !== null;
  const isSelf = user.id === self.id;
  const action = disabled ? 'enable' : 'disable';
  const csrf = html`<input type="hidden" name="csrf_token" value="${session.csrfToken}">`;
  return html`<tr>
<th scope="row" data-label="Email">${user.email}${isSelf ? html` <span class="muted">(you)</span>` : ''}</th>
<td data-label="Role">${user.isAdmin ? 'Admin' : 'Member'}</td>
<td data-label="Status"><span class="status status-${disabled ? 'disabled' : 'active'}">${disabled ? 'Disabled' : 'Active'}</span></td>
<td data-label="Created">${dateOf(user.createdAt)}</td>
<td class="row-actions">${isSelf ? html`<span class="muted">—</span>` : html`<div class="inline-actions">
<form method="post" action="${PATH}/${encodeURIComponent(user.id)}/${action}">${csrf}
<button class="${disabled ? 'secondary' : 'danger'} small" type="submit" aria-label="${disabled ? 'Enable' : 'Disable'} ${user.email}">${disabled ? 'Enable' : 'Disable'}</button>
</form>
${disabled ? '' : html`<form method="post" action="${PATH}/${encodeURIComponent(user.id)}/reset-password">${csrf}
<button class="secondary small" type="submit" aria-label="Reset password of ${user.email}">Reset password</button>
</form>`}
</div>`}</td>
</tr>`;
}

function resetPanel(reset: ResetShown): Html {
  if (reset.emailed) {
    return html`<section class="card reveal" aria-labelledby="reset-heading"><h2 id="reset-heading">Reset link sent</h2>
<p>A one-time link to choose a new password was emailed to <strong>${reset.email}</strong>. It works once, until ${readableTime(reset.expiresAt)}.</p></section>`;
  }
  return html`<section class="card reveal" aria-labelledby="reset-heading">
<h2 id="reset-heading">Password-reset link for ${reset.email}</h2>
<p class="warning" role="status"><strong>Copy it now and give it to ${reset.email} through a channel you trust.</strong> It is shown only this once, works once, and expires ${readableTime(reset.expiresAt)}. No mail server is configured, so Gatehouse did not send it.</p>
<label for="reset-link">Reset link</label>
<div class="copy-row">
<input type="text" id="reset-link" class="secret" value="${reset.url}" readonly spellcheck="false" autocomplete="off">
${copyButton('reset-link', 'Copy the reset link')}
</div>
</section>`;
}

function createForm(csrfToken: string, form: FormState): Html {
  const { errors } = form;
  return html`<section class="card" aria-labelledby="create-heading">
<h2 id="create-heading">Create a user</h2>
${Object.keys(errors).length > 0 ? html`<p class="error" role="alert">The user was not created. Check the fields marked below.</p>` : ''}
<form method="post" action="${PATH}">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="user-email">Email</label>
<input type="email" id="user-email" name="email" value="${form.email}" autocomplete="off" required${invalidAttrs('user-email-error', errors.email)}>
${fieldError('user-email-error', errors.email)}
<label for="user-password">Initial password</label>
<p class="hint" id="user-password-hint">At least ${MIN_PASSWORD_LENGTH} characters, and not a common password. Give it to the user through a safe channel, or create the user and send them a reset link instead.</p>
<input type="password" id="user-password" name="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${invalidAttrs('user-password-error', errors.password, 'user-password-hint')}>
${fieldError('user-password-error', errors.password)}
<div class="check">
<input type="checkbox" id="user-admin" name="admin" value="on"${form.admin ? html` checked` : ''}>
<label for="user-admin">Administrator <span class="muted">— can manage users and allow the password grant</span></label>
</div>
<div class="actions"><button type="submit">Create user</button></div>
</form>
</section>`;
}

function usersPage(request: FastifyRequest, users: User[], options: { form?: FormState; error?: string; reset?: ResetShown }): string {
  const body = html`<div class="page-head">
<h1>Users</h1>
<p class="muted">Everyone who can sign in to Gatehouse. Disabling a user signs them out everywhere, revokes their tokens and stops their applications.</p>
</div>
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.reset ? resetPanel(options.reset) : ''}
<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading">All users <span class="muted">(${users.length})</span></h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table class="stack">
<thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${users.map((u) => userRow(u, request))}</tbody>
</table>
</div>
</section>
${createForm(me(request).session.csrfToken, options.form ?? emptyForm())}
${options.reset && !options.reset.emailed ? COPY_SCRIPT_TAG : ''}`;
  return renderPage(request, { title: 'Users', body, section: PATH });
}

export function adminUserPages(app: FastifyInstance, services: Services): void {
  const { users, accounts, passwords } = services;
  const resets = new OneTimeFlash<ResetShown>();
  const admin = { access: 'admin' as const, returnTo: PATH };

  const userOr404 = async (id: string): Promise<User> => {
    try {
      return await users.requireById(id);
    } catch (error) {
      if (error instanceof NotFoundError) throw new PageError(404, 'That user does not exist.', 'User not found');
      throw error;
    }
  };

  app.get(PATH, { config: admin }, async (request, reply) => {
    const reset = request.method === 'GET' ? resets.take(me(request).session.idHash, 'reset') : undefined;
    return sendPage(reply, usersPage(request, await users.list(), { reset }));
  });

  app.post(PATH, { config: admin }, async (request, reply) => {
    const fields = request.form;
    const form: FormState = { email: (fields.email ?? '').slice(0, 1000), admin: fields.admin !== undefined, errors: {} };
    let status = 422;
    try {
      const user = await users.create({ email: form.email, password: fields.password ?? '', admin: form.admin }, pageAuditContext(request));
      reply.notice(`Created ${user.email}. They can sign in now.`);
      return seeOther(reply, PATH);
    } catch (error) {
      if (error instanceof ValidationError) {
        for (const e of error.errors) {
          if (e.field === 'email') form.errors.email = e.message;
          if (e.field === 'password') form.errors.password = e.message;
        }
      } else if (error instanceof ConflictError) {
        form.errors.email = 'A user with this email already exists.';
        status = 409;
      } else {
        throw error;
      }
    }
    return sendPage(reply, usersPage(request, await users.list(), { form }), { status });
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { id: string } }>(`${PATH}/:id/${action}`, { config: admin, schema: idParams }, async (request, reply) => {
      const { id } = request.params;
      if (action === 'disable' && id === me(request).user.id) {
        return sendPage(reply, usersPage(request, await users.list(), {
          error: 'You cannot disable your own account. Ask another administrator to do it.',
        }), { status: 409 });
      }
      const user = await userOr404(id);
      if (action === 'disable') await accounts.disable(id, pageAuditContext(request));
      else await accounts.enable(id, pageAuditContext(request));
      reply.notice(action === 'disable'
        ? `Disabled ${user.email}: their sessions, tokens and applications no longer work.`
        : `Enabled ${user.email}: they can sign in again. Their old sessions and tokens stay revoked.`);
      return seeOther(reply, PATH);
    });
  }

  app.post<{ Params: { id: string } }>(`${PATH}/:id/reset-password`, { config: admin, schema: idParams }, async (request, reply) => {
    const user = await userOr404(request.params.id);
    if (user.disabledAt !== null) throw new PageError(409, 'That user is disabled. Enable them first.', 'User disabled');
    const issued = await passwords.issueReset(user.id, pageAuditContext(request));
    resets.put(me(request).session.idHash, 'reset', { ...issued, email: user.email });
    return seeOther(reply, PATH);
  });
}
