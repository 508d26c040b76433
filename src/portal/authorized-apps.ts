// /account/authorized-apps: the apps that may act for the signed-in user, each
// with a Revoke button that removes the consent and every token of the app.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { listAuthorizedApps, type AuthorizedAppSummary } from '../oauth/authorized-apps.ts';
import { SCOPES } from '../scopes.ts';
import { formFields, PageError, pageErrorHandler } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { seeOther, sendPage } from '../web/plugin.ts';

const PATH = '/account/authorized-apps';
const clientIdParams = { type: 'object', properties: { client_id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['client_id'] };

function appRow(app: AuthorizedAppSummary, csrfToken: string): Html {
  return html`<tr>
<th scope="row">${app.name}</th>
<td><ul class="scopes">${app.scopes.map((s) => html`<li>${SCOPES[s] ?? s}</li>`)}</ul></td>
<td><time datetime="${app.authorizedAt}">${app.authorizedAt.slice(0, 10)}</time></td>
<td><form method="post" action="${PATH}/${encodeURIComponent(app.clientId)}/revoke">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<button class="danger small" type="submit" aria-label="Revoke access for ${app.name}">Revoke</button>
</form></td>
</tr>`;
}

export async function authorizedAppsPage(app: FastifyInstance, services: Services): Promise<void> {
  app.setErrorHandler(pageErrorHandler);

  app.get<{ Querystring: { revoked?: string } }>(PATH, async (request, reply) => {
    const signedIn = await services.sessions.current(request);
    if (!signedIn) return seeOther(reply, `/login?return_to=${PATH}`);
    const { user, session } = signedIn;
    const apps = await listAuthorizedApps(services, user.id);
    // The notice names the app by its registered name, never by text from the URL.
    const revokedId = typeof request.query.revoked === 'string' ? request.query.revoked : undefined;
    const revoked = revokedId ? await services.clients.find(revokedId) : undefined;
    const body = html`<div class="page-head">
<h1>Authorized applications</h1>
<p class="muted">These applications can act for you. Revoking one signs it out at once: its tokens stop working, and it must ask you again.</p>
</div>
${revoked ? html`<p class="notice" role="status">${revoked.name} no longer has access to your account.</p>` : ''}
${apps.length === 0 ? html`<div class="card empty-state">
<h2>No authorized applications</h2>
<p>No application has access to your account.</p>
<p>When you approve an application that asks to use your account, it appears here, and you can revoke its access at any time.</p>
</div>` : html`<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading" class="visually-hidden">Applications with access</h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table>
<thead><tr><th scope="col">Application</th><th scope="col">Access</th><th scope="col">Authorized</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${apps.map((a) => appRow(a, session.csrfToken))}</tbody>
</table>
</div>
</section>`}`;
    return sendPage(reply, page({ title: 'Authorized applications', body, user, csrfToken: session.csrfToken, section: PATH }));
  });

  app.post<{ Params: { client_id: string } }>(`${PATH}/:client_id/revoke`, { schema: { params: clientIdParams } }, async (request, reply) => {
    const signedIn = await services.sessions.current(request);
    if (!signedIn) return seeOther(reply, `/login?return_to=${PATH}`);
    if (!services.sessions.csrfValid(signedIn, formFields(request).csrf_token)) {
      throw new PageError(403, 'This form has expired or was not sent from Gatehouse.', 'Request refused');
    }
    const { client_id: clientId } = request.params;
    await services.consents.revoke(signedIn.user.id, clientId);
    return seeOther(reply, `${PATH}?revoked=${encodeURIComponent(clientId)}`);
  });
}
