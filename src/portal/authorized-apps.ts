// /account/authorized-apps: the apps that may act for the signed-in user, each
// with a Revoke button that, after a confirmation, removes the consent and
// every token of the app. The notice after a revocation comes from the POST
// (a one-time notice), never from the URL, where anyone could put an app's id.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { listAuthorizedApps, type AuthorizedAppSummary } from '../oauth/authorized-apps.ts';
import { SCOPES } from '../scopes.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { confirmCard } from '../web/widgets.ts';
import { pageAuditContext } from '../web/audit-context.ts';

const PATH = '/account/authorized-apps';
type Params = { Params: { client_id: string } };
const clientIdParams = { params: { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] } };
const revokePath = (app: AuthorizedAppSummary) => `${PATH}/${encodeURIComponent(app.clientId)}/revoke`;

function appRow(app: AuthorizedAppSummary): Html {
  return html`<tr>
<th scope="row" data-label="Application">${app.name}</th>
<td data-label="Access"><ul class="scopes">${app.scopes.map((s) => html`<li>${SCOPES[s] ?? s}</li>`)}</ul></td>
<td data-label="Authorized"><time datetime="${app.authorizedAt}">${app.authorizedAt.slice(0, 10)}</time></td>
<td class="row-actions"><a class="button danger small" href="${revokePath(app)}" aria-label="Revoke access for ${app.name}…">Revoke…</a></td>
</tr>`;
}

export function authorizedAppsPage(app: FastifyInstance, services: Services): void {
  const { consents } = services;

  /** One of the user's authorized apps; the 404 page for any other id. */
  const authorizedApp = async (request: FastifyRequest, clientId: string): Promise<AuthorizedAppSummary> => {
    const found = (await listAuthorizedApps(services, me(request).user.id)).find((a) => a.clientId === clientId);
    if (!found) throw new PageError(404, 'That application has no access to your account.', 'Application not found');
    return found;
  };

  app.get(PATH, async (request, reply) => {
    const apps = await listAuthorizedApps(services, me(request).user.id);
    const body = html`<div class="page-head">
<h1>Authorized applications</h1>
<p class="muted">These applications can act for you. Revoking one signs it out at once: its tokens stop working, and it must ask you again.</p>
</div>
${apps.length === 0 ? html`<div class="card empty-state">
<h2>No authorized applications</h2>
<p>No application has access to your account.</p>
<p>When you approve an application that asks to use your account, it appears here, and you can revoke its access at any time.</p>
</div>` : html`<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading" class="visually-hidden">Applications with access</h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table class="stack">
<thead><tr><th scope="col">Application</th><th scope="col">Access</th><th scope="col">Authorized</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${apps.map(appRow)}</tbody>
</table>
</div>
</section>`}`;
    return sendPage(reply, renderPage(request, { title: 'Authorized applications', body, section: PATH }));
  });

  app.get<Params>(`${PATH}/:client_id/revoke`, { schema: clientIdParams }, async (request, reply) => {
    const found = await authorizedApp(request, request.params.client_id);
    const body = confirmCard({
      heading: `Revoke access for ${found.name}?`,
      explanation: html`<p>${found.name} is signed out of your account at once: its tokens stop working, and it has to ask for your approval again before it can act for you.</p>`,
      action: revokePath(found),
      csrfToken: me(request).session.csrfToken,
      button: 'Revoke access',
      cancelHref: PATH,
    });
    return sendPage(reply, renderPage(request, { title: `Revoke access for ${found.name}`, body, section: PATH, narrow: true }));
  });

  app.post<Params>(`${PATH}/:client_id/revoke`, { schema: clientIdParams, config: { returnTo: PATH } }, async (request, reply) => {
    const found = await authorizedApp(request, request.params.client_id);
    await consents.revoke(me(request).user.id, found.clientId, pageAuditContext(request));
    reply.notice(`${found.name} no longer has access to your account.`);
    return seeOther(reply, PATH);
  });
}
