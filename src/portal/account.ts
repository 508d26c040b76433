// /account: the signed-in user's own account. They change their password
// (confirming the current one; every other session of theirs ends, and the
// page says how many), and see their active sessions and end any of them.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { ValidationError } from '../errors.ts';
import { MIN_PASSWORD_LENGTH } from '../user/password-policy.ts';
import type { SessionSummary } from '../web/session.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { dateOf, fieldError, invalidAttrs, newPasswordFields } from '../web/widgets.ts';
import { pageAuditContext } from '../web/audit-context.ts';

const PATH = '/account';

interface PasswordForm {
  errors: { current?: string; password?: string; confirm?: string };
}

/** A user agent string as people recognise it: "Firefox on Linux", or the raw string cut short. */
export function describeAgent(agent: string | null): string {
  if (!agent) return 'Unknown device';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari'
    : /python-requests|curl|node|undici/i.test(agent) ? agent.split(' ')[0]!.slice(0, 40) : null;
  const os = /Windows/.test(agent) ? 'Windows' : /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Linux/.test(agent) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? agent.slice(0, 60);
}

function sessionRow(session: SessionSummary, csrfToken: string): Html {
  return html`<tr>
<th scope="row" data-label="Device">${describeAgent(session.userAgent)}${session.current ? html` <span class="badge">This session</span>` : ''}</th>
<td data-label="Address">${session.ip ?? '—'}</td>
<td data-label="Signed in">${dateOf(session.createdAt)}</td>
<td data-label="Last seen">${dateOf(session.lastSeenAt, 'Unknown')}</td>
<td class="row-actions">${session.current ? '' : html`<form method="post" action="${PATH}/sessions/${session.id}/end">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<button class="danger small" type="submit" aria-label="Sign out ${describeAgent(session.userAgent)}, signed in ${session.createdAt.slice(0, 10)}">Sign out</button>
</form>`}</td>
</tr>`;
}

function accountPage(request: FastifyRequest, sessions: SessionSummary[], form: PasswordForm = { errors: {} }): string {
  const { user, session } = me(request);
  const { errors } = form;
  const others = sessions.filter((s) => !s.current).length;
  const body = html`<div class="page-head">
<h1>Your account</h1>
<p class="muted">Signed in as <strong>${user.email}</strong>${user.isAdmin ? ' (administrator)' : ''}.</p>
</div>
<section class="card" aria-labelledby="password-heading">
<h2 id="password-heading">Change your password</h2>
<p class="muted">Changing it signs you out everywhere else. Your applications and tokens keep working.</p>
${Object.keys(errors).length > 0 ? html`<p class="error" role="alert">The password was not changed. Check the fields marked below.</p>` : ''}
<form method="post" action="${PATH}/password">
<input type="hidden" name="csrf_token" value="${session.csrfToken}">
<input type="text" name="username" value="${user.email}" autocomplete="username" hidden>
<label for="current-password">Current password</label>
<input type="password" id="current-password" name="current" autocomplete="current-password" required${invalidAttrs('current-password-error', errors.current)}>
${fieldError('current-password-error', errors.current)}
${newPasswordFields('new', errors, undefined, MIN_PASSWORD_LENGTH)}
<div class="actions"><button type="submit">Change password</button></div>
</form>
</section>
<section class="card" aria-labelledby="sessions-heading">
<h2 id="sessions-heading">Where you are signed in</h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="sessions-heading">
<table class="stack">
<thead><tr><th scope="col">Device</th><th scope="col">Address</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${sessions.map((s) => sessionRow(s, session.csrfToken))}</tbody>
</table>
</div>
${others > 0 ? html`<form method="post" action="${PATH}/sessions/end-others" class="actions">
<input type="hidden" name="csrf_token" value="${session.csrfToken}">
<button class="secondary" type="submit">Sign out of the ${others} other session${others === 1 ? '' : 's'}</button>
</form>` : html`<p class="muted">You are not signed in anywhere else.</p>`}
</section>
<p><a href="/account/authorized-apps">Applications that can act for you →</a></p>`;
  return renderPage(request, { title: 'Your account', body, section: PATH });
}

const otherSessions = (n: number) => (n === 0 ? 'You were not signed in anywhere else.' : `You were signed out of ${n} other session${n === 1 ? '' : 's'}.`);

export function accountPages(app: FastifyInstance, services: Services): void {
  const { sessions, passwords } = services;

  app.get(PATH, async (request, reply) => sendPage(reply, accountPage(request, await sessions.list(me(request)))));

  app.post(`${PATH}/password`, { config: { returnTo: PATH } }, async (request, reply) => {
    const signedIn = me(request);
    const fields = request.form;
    const form: PasswordForm = { errors: {} };
    const next = fields.password ?? '';
    if (next !== (fields.confirm ?? '')) form.errors.confirm = 'The new passwords do not match.';
    let ended = 0;
    if (!form.errors.confirm) {
      try {
        ended = await passwords.change(signedIn.user, { current: fields.current ?? '', next, ip: request.ip, keepSessionHash: signedIn.session.idHash }, pageAuditContext(request));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        for (const e of error.errors) {
          if (e.field === 'current') form.errors.current = e.message;
          else form.errors.password = e.message;
        }
      }
    }
    if (Object.keys(form.errors).length > 0) return sendPage(reply, accountPage(request, await sessions.list(signedIn), form), { status: 422 });
    reply.notice(`Your password was changed. ${otherSessions(ended)}`);
    return seeOther(reply, PATH);
  });

  app.post(`${PATH}/sessions/end-others`, { config: { returnTo: PATH } }, async (request, reply) => {
    reply.notice(otherSessions(await sessions.endOthers(me(request))));
    return seeOther(reply, PATH);
  });

  app.post<{ Params: { id: string } }>(`${PATH}/sessions/:id/end`, {
    config: { returnTo: PATH },
    schema: { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] } },
  }, async (request, reply) => {
    const ended = await sessions.end(me(request), request.params.id);
    reply.notice(ended ? 'That session was signed out.' : 'That session had already ended.');
    return seeOther(reply, PATH);
  });
}
