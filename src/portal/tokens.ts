// /tokens: the signed-in user's personal access tokens. A new token is shown
// once, on the page the create form redirects to: it waits in this process's
// memory, keyed by the session, until that page is read (or 10 minutes pass).
// It never goes into a URL, a cookie, the log or the database.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { PersonalAccessToken } from '../pat/pat.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { SCOPES } from '../scopes.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { confirmCard, COPY_SCRIPT_TAG, copyButton, dateOf, fieldError, invalidAttrs } from '../web/widgets.ts';
import { OneTimeFlash } from '../web/flash.ts';
import { pageAuditContext } from '../web/audit-context.ts';

const PATH = '/tokens';
/** The expiry choices, as the select offers them; `none` means no expiry. */
const EXPIRY_CHOICES: Array<{ value: string; label: string; days: number | null }> = [
  { value: '30', label: '30 days', days: 30 },
  { value: '90', label: '90 days', days: 90 },
  { value: '365', label: '1 year', days: 365 },
  { value: 'none', label: 'No expiration', days: null },
];
const DEFAULT_EXPIRY = '30';
const scopeField = (scope: string) => `scope_${scope}`;

interface NewToken {
  token: string;
  name: string;
}

interface FormState {
  name: string;
  scopes: string[];
  expiry: string;
  errors: { name?: string; scopes?: string; expiry?: string };
}

const emptyForm = (): FormState => ({ name: '', scopes: [], expiry: DEFAULT_EXPIRY, errors: {} });

function statusOf(token: PersonalAccessToken, nowIso: string): { label: string; active: boolean } {
  if (token.revokedAt !== null) return { label: 'Revoked', active: false };
  if (token.expiresAt !== null && token.expiresAt <= nowIso) return { label: 'Expired', active: false };
  return { label: 'Active', active: true };
}

function newTokenPanel(created: NewToken): Html {
  return html`<section class="card reveal" aria-labelledby="new-token-heading">
<h2 id="new-token-heading">Your new token “${created.name}”</h2>
<p class="warning" role="status"><strong>Copy it now.</strong> This is the only time Gatehouse shows it: it is stored only as a hash, and reloading this page will not show it again.</p>
<label for="new-token">Token</label>
<div class="copy-row">
<input type="text" id="new-token" class="secret" value="${created.token}" readonly autofocus spellcheck="false" autocomplete="off">
${copyButton('new-token', 'Copy the new token')}
</div>
<p class="muted">Use it as <code>Authorization: Bearer …</code> on the API. Treat it like a password.</p>
</section>`;
}

function tokenRow(token: PersonalAccessToken, nowIso: string): Html {
  const status = statusOf(token, nowIso);
  return html`<tr>
<th scope="row" data-label="Name">${token.name}</th>
<td data-label="Scopes"><ul class="tags">${token.scopes.map((s) => html`<li><code>${s}</code></li>`)}</ul></td>
<td data-label="Created">${dateOf(token.createdAt)}</td>
<td data-label="Last used">${dateOf(token.lastUsedAt, 'Never')}</td>
<td data-label="Expires">${dateOf(token.expiresAt, 'Never')}</td>
<td data-label="Status"><span class="status status-${status.label.toLowerCase()}">${status.label}</span></td>
<td class="row-actions">${status.active ? html`<a class="button danger small" href="${PATH}/${encodeURIComponent(token.id)}/revoke" aria-label="Revoke ${token.name}…">Revoke…</a>` : ''}</td>
</tr>`;
}

function createForm(csrfToken: string, form: FormState): Html {
  const { errors } = form;
  return html`<section class="card" aria-labelledby="create-heading">
<h2 id="create-heading">Generate a new token</h2>
${Object.keys(errors).length > 0 ? html`<p class="error" role="alert">The token was not created. Check the fields marked below.</p>` : ''}
<form method="post" action="${PATH}">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="token-name">Name</label>
<p class="hint" id="token-name-hint">What is this token for? For example “nightly export on build server”.</p>
<input type="text" id="token-name" name="name" value="${form.name}" maxlength="100" required${invalidAttrs('token-name-error', errors.name, 'token-name-hint')}>
${fieldError('token-name-error', errors.name)}
<fieldset${invalidAttrs('token-scopes-error', errors.scopes)}>
<legend>Scopes</legend>
${fieldError('token-scopes-error', errors.scopes)}
${Object.entries(SCOPES).map(([scope, description]) => html`<div class="check">
<input type="checkbox" id="${scopeField(scope)}" name="${scopeField(scope)}" value="on"${form.scopes.includes(scope) ? html` checked` : ''}>
<label for="${scopeField(scope)}"><code>${scope}</code> <span class="muted">— ${description}</span></label>
</div>`)}
</fieldset>
<label for="token-expiry">Expiration</label>
<select id="token-expiry" name="expiry"${invalidAttrs('token-expiry-error', errors.expiry)}>
${EXPIRY_CHOICES.map((c) => html`<option value="${c.value}"${c.value === form.expiry ? html` selected` : ''}>${c.label}</option>`)}
</select>
${fieldError('token-expiry-error', errors.expiry)}
<div class="actions"><button type="submit">Generate token</button></div>
</form>
</section>`;
}

function tokensPage(request: FastifyRequest, tokens: PersonalAccessToken[], options: { form?: FormState; created?: NewToken }): string {
  const { session } = me(request);
  const nowIso = new Date().toISOString();
  const body = html`<div class="page-head">
<h1>Personal access tokens</h1>
<p class="muted">Tokens act as you on the API, limited to their scopes. Use them in scripts instead of your password. You can revoke one at any time.</p>
</div>
${options.created ? newTokenPanel(options.created) : ''}
<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading">Your tokens</h2>
${tokens.length === 0 ? html`<p class="muted">You have no personal access tokens yet.</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table class="stack">
<thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${tokens.map((t) => tokenRow(t, nowIso))}</tbody>
</table>
</div>`}
</section>
${createForm(session.csrfToken, options.form ?? emptyForm())}
${options.created ? COPY_SCRIPT_TAG : ''}`;
  return renderPage(request, { title: 'Personal access tokens', body, section: PATH });
}

function revokePage(request: FastifyRequest, token: PersonalAccessToken): string {
  const { session } = me(request);
  const body = confirmCard({
    heading: `Revoke “${token.name}”?`,
    explanation: html`<p>Anything that uses this token, a script or a tool, can no longer call the API, at once. This cannot be undone: you would make a new token and put it where this one was.</p>`,
    action: `${PATH}/${encodeURIComponent(token.id)}/revoke`,
    csrfToken: session.csrfToken,
    button: `Revoke “${token.name}”`,
    cancelHref: PATH,
  });
  return renderPage(request, { title: `Revoke ${token.name}`, body, section: PATH, narrow: true });
}

/** The form's fields, checked; `errors` is empty when the service may be asked. */
function readForm(fields: Record<string, string>): FormState {
  const form: FormState = {
    name: (fields.name ?? '').slice(0, 1000),
    scopes: Object.keys(SCOPES).filter((s) => fields[scopeField(s)] !== undefined),
    expiry: fields.expiry ?? '',
    errors: {},
  };
  if (form.name.trim().length === 0) form.errors.name = 'Give the token a name.';
  else if (form.name.trim().length > 100) form.errors.name = 'Use at most 100 characters.';
  if (form.scopes.length === 0) form.errors.scopes = 'Choose at least one scope.';
  if (!EXPIRY_CHOICES.some((c) => c.value === form.expiry)) {
    form.errors.expiry = 'Choose one of the offered expirations.';
    form.expiry = DEFAULT_EXPIRY;
  }
  return form;
}

const idParams = { params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] } };

export function tokenPages(app: FastifyInstance, services: Services): void {
  const { pats } = services;
  // Held in memory for the session's next page only (web/flash.ts: read once, 10 minutes at most).
  const flash = new OneTimeFlash<NewToken>();

  app.get(PATH, async (request, reply) => {
    const { user, session } = me(request);
    // Only a GET shows (and so uses up) the new token: a HEAD's body is never seen.
    const created = request.method === 'GET' ? flash.take(session.idHash, 'new-token') : undefined;
    return sendPage(reply, tokensPage(request, await pats.list(user.id), { created }));
  });

  app.post(PATH, async (request, reply) => {
    const { user, session } = me(request);
    const form = readForm(request.form);
    const showErrors = async () => sendPage(reply, tokensPage(request, await pats.list(user.id), { form }), { status: 422 });
    if (Object.keys(form.errors).length > 0) return showErrors();
    try {
      const days = EXPIRY_CHOICES.find((c) => c.value === form.expiry)!.days;
      const { token, record } = await pats.create(user.id, { name: form.name, scopes: form.scopes, expiresInDays: days }, pageAuditContext(request));
      flash.put(session.idHash, 'new-token', { token, name: record.name });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const e of error.errors) {
        const field = e.field === 'expires_in_days' ? 'expiry' : e.field === 'scopes' ? 'scopes' : 'name';
        form.errors[field] ??= `This ${field} ${e.message}.`;
      }
      return showErrors();
    }
    return seeOther(reply, PATH);
  });

  /** The user's own active token; the 404 page for any other id. */
  const activeToken = async (request: FastifyRequest, id: string): Promise<PersonalAccessToken> => {
    const token = (await pats.list(me(request).user.id)).find((t) => t.id === id);
    if (!token || !statusOf(token, new Date().toISOString()).active) throw new PageError(404, 'That token does not exist or was already revoked.', 'Token not found');
    return token;
  };

  app.get<{ Params: { id: string } }>(`${PATH}/:id/revoke`, { schema: idParams }, async (request, reply) =>
    sendPage(reply, revokePage(request, await activeToken(request, request.params.id))));

  app.post<{ Params: { id: string } }>(`${PATH}/:id/revoke`, { schema: idParams, config: { returnTo: PATH } }, async (request, reply) => {
    const token = await activeToken(request, request.params.id);
    try {
      await pats.revoke(me(request).user.id, token.id, pageAuditContext(request));
    } catch (error) {
      if (error instanceof NotFoundError) throw new PageError(404, 'That token does not exist or was already revoked.', 'Token not found');
      throw error;
    }
    reply.notice(`Revoked “${token.name}”. Anything using it can no longer call the API.`);
    return seeOther(reply, PATH);
  });
}
