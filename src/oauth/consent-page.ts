// The consent page: which application asks, who made it, what it may do.
import { SCOPES } from '../scopes.ts';
import { html, type Html } from '../web/html.ts';
import type { SignedIn } from '../web/session.ts';
import type { AuthorizeRequest } from './authorize-request.ts';

/** The consent card, for the page layer's shell. */
export function consentPage(request: AuthorizeRequest, signedIn: SignedIn, ownerEmail: string | null): Html {
  const { client, scopes, params } = request;
  const redirectHost = new URL(request.redirectUri).host || request.redirectUri;
  const body = html`<div class="card">
<h1>Authorize ${client.name}</h1>
<p><strong>${client.name}</strong>${ownerEmail ? html`, an application made by <strong>${ownerEmail}</strong>,` : ''} wants to use your account <strong>${signedIn.user.email}</strong> to:</p>
<ul class="scopes">
${scopes.map((scope) => html`<li><code>${scope}</code>: ${SCOPES[scope] ?? scope}</li>\n`)}
</ul>
<p class="muted">If you approve, you will be sent back to ${redirectHost}.</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf_token" value="${signedIn.session.csrfToken}">
${Object.entries(params).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">\n`)}
<div class="actions">
<button type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
</div>`;
  return body;
}
