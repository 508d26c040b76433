// /admin/users: admins list, create, disable and enable accounts. Everyone
// else gets the 404 page, so the page's existence is not revealed. Disabling
// ends the user's sessions, personal access tokens and OAuth tokens at once
// (AccountAdmin); an admin cannot disable their own account.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { User } from '../store/store.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/user-service.ts';
import { formFields, PageError } from '../web/error-page.ts';
import { csrfOk } from '../web/guard.ts';
import { html, type Html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { seeOther, sendPage } from '../web/plugin.ts';
import type { SignedIn } from '../web/session.ts';
import { dateOf, fieldError, invalidAttrs, notFound } from '../web/widgets.ts';

const PATH = '/admin/users';
const NOTICES = {
  created: (email: string) => `Created ${email}. They can sign in now.`,
  disabled: (email: string) => `Disabled ${email}: their sessions and tokens no longer work.`,
  enabled: (email: string) => `Enabled ${email}: they can sign in again. Their old sessions and tokens stay revoked.`,
} as const;
type NoticeKind = keyof typeof NOTICES;

interface FormState {
  email: string;
  admin: boolean;
  errors: { email?: string; password?: string };
}

const emptyForm = (): FormState => ({ email: '', admin: false, errors: {} });

function userRow(user: User, me: SignedIn): Html {
  const disabled = user.disabledAt !== null;
  const self = user.id === me.user.id;
  const action = disabled ? 'enable' : 'disable';
  return html`<tr>
<th scope="row">${user.email}${self ? html` <span class="muted">(you)</span>` : ''}</th>
<td>${user.isAdmin ? 'Admin' : 'Member'}</td>
<td><span class="status status-${disabled ? 'disabled' : 'active'}">${disabled ? 'Disabled' : 'Active'}</span></td>
<td>${dateOf(user.createdAt)}</td>
<td>${self ? html`<span class="muted">—</span>` : html`<form method="post" action="${PATH}/${encodeURIComponent(user.id)}/${action}">
<input type="hidden" name="csrf_token" value="${me.session.csrfToken}">
<button class="${disabled ? 'secondary' : 'danger'} small" type="submit" aria-label="${disabled ? 'Enable' : 'Disable'} ${user.email}">${disabled ? 'Enable' : 'Disable'}</button>
</form>`}</td>
</tr>`;
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
<p class="hint" id="user-password-hint">At least ${MIN_PASSWORD_LENGTH} characters. Give it to the user through a safe channel.</p>
<input type="password" id="user-password" name="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required${invalidAttrs('user-password-error', errors.password, 'user-password-hint')}>
${fieldError('user-password-error', errors.password)}
<div class="check">
<input type="checkbox" id="user-admin" name="admin" value="on"${form.admin ? html` checked` : ''}>
<label for="user-admin">Administrator <span class="muted">— can manage users</span></label>
</div>
<div class="actions"><button type="submit">Create user</button></div>
</form>
</section>`;
}

function usersPage(me: SignedIn, users: User[], options: { form?: FormState; notice?: string; error?: string }): string {
  const body = html`<div class="page-head">
<h1>Users</h1>
<p class="muted">Everyone who can sign in to Gatehouse. Disabling a user signs them out everywhere and revokes their tokens.</p>
</div>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading">All users <span class="muted">(${users.length})</span></h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table>
<thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${users.map((u) => userRow(u, me))}</tbody>
</table>
</div>
</section>
${createForm(me.session.csrfToken, options.form ?? emptyForm())}`;
  return page({ title: 'Users', body, user: me.user, csrfToken: me.session.csrfToken, section: PATH });
}

export function adminUserPages(app: FastifyInstance, services: Services): void {
  const { sessions, users, accounts } = services;

  /** The signed-in admin; otherwise sends sign-in (no session) or throws the 404 page (not an admin). */
  const adminOrRedirect = async (request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | null> => {
    const signedIn = await sessions.current(request);
    if (!signedIn) {
      seeOther(reply, `/login?return_to=${PATH}`);
      return null;
    }
    if (!signedIn.user.isAdmin) throw notFound();
    return signedIn;
  };

  // No schemas on these routes: a malformed request from a non-admin must get the 404 page, not a 400.
  app.get<{ Querystring: Partial<Record<NoticeKind, unknown>> }>(PATH, async (request, reply) => {
    const me = await adminOrRedirect(request, reply);
    if (!me) return reply;
    const all = await users.list();
    // The notice names the user by their stored email, never by text from the URL.
    let notice: string | undefined;
    for (const kind of Object.keys(NOTICES) as NoticeKind[]) {
      const id = request.query[kind];
      const subject = typeof id === 'string' ? all.find((u) => u.id === id) : undefined;
      if (subject) notice = NOTICES[kind](subject.email);
    }
    return sendPage(reply, usersPage(me, all, { notice }));
  });

  app.post(PATH, async (request, reply) => {
    const me = await adminOrRedirect(request, reply);
    if (!me) return reply;
    const fields = formFields(request);
    if (!csrfOk(sessions, me, fields.csrf_token, reply)) return reply;
    const form: FormState = { email: (fields.email ?? '').slice(0, 1000), admin: fields.admin !== undefined, errors: {} };
    let status = 422;
    try {
      const user = await users.create({ email: form.email, password: fields.password ?? '', admin: form.admin });
      return seeOther(reply, `${PATH}?created=${encodeURIComponent(user.id)}`);
    } catch (error) {
      if (error instanceof ValidationError) {
        for (const e of error.errors) {
          if (e.field === 'email') form.errors.email = 'Enter an email address.';
          if (e.field === 'password') form.errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
        }
      } else if (error instanceof ConflictError) {
        form.errors.email = 'A user with this email already exists.';
        status = 409;
      } else {
        throw error;
      }
    }
    return sendPage(reply, usersPage(me, await users.list(), { form }), { status });
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post<{ Params: { id: string } }>(`${PATH}/:id/${action}`, async (request, reply) => {
      const me = await adminOrRedirect(request, reply);
      if (!me) return reply;
      if (!csrfOk(sessions, me, formFields(request).csrf_token, reply)) return reply;
      const { id } = request.params;
      if (action === 'disable' && id === me.user.id) {
        return sendPage(reply, usersPage(me, await users.list(), {
          error: 'You cannot disable your own account. Ask another administrator to do it.',
        }), { status: 409 });
      }
      try {
        if (action === 'disable') await accounts.disable(id);
        else await accounts.enable(id);
      } catch (error) {
        if (error instanceof NotFoundError) throw new PageError(404, 'That user does not exist.', 'User not found');
        throw error;
      }
      return seeOther(reply, `${PATH}?${action}d=${encodeURIComponent(id)}`);
    });
  }
}
