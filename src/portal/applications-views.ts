// The pages of the Applications part of the developer portal: the list, the
// new-application form, an application's page (credentials, settings,
// secret rotation) and the delete confirmation.
import type { FastifyRequest } from 'fastify';
import type { Client } from '../client/client.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { confirmCard, COPY_SCRIPT_TAG, copyButton, dateOf } from '../web/widgets.ts';
import { appFields, errorSummary, grantLabel, valuesOf, type AppFormErrors, type AppFormValues } from './applications-form.ts';

/** A secret to show once, and why it is new. */
export interface FlashedSecret {
  secret: string;
  reason: 'created' | 'rotated';
}

export const appPath = (clientId: string, suffix = ''): string => `/apps/${encodeURIComponent(clientId)}${suffix}`;

/** An ISO time as people read it, in UTC (the server does not know the reader's zone). */
export function readableTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

const typeName = (client: Client): string => (client.isPublic ? 'Public' : 'Confidential');

function shell(request: FastifyRequest, title: string, body: Html, options: { copyScript?: boolean; narrow?: boolean } = {}): string {
  return renderPage(request, {
    title,
    section: '/apps',
    narrow: options.narrow,
    // The copy buttons are an enhancement: the page is complete without the script.
    body: options.copyScript ? html`${body}${COPY_SCRIPT_TAG}` : body,
  });
}

const csrfInput = (request: FastifyRequest): Html => html`<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">`;

const breadcrumb = (...trail: Html[]): Html =>
  html`<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/apps">Applications</a></li>${trail.map((t) => html`<li>${t}</li>`)}</ol></nav>`;

function appRow(client: Client): Html {
  return html`<tr>
<th scope="row" data-label="Name"><a href="${appPath(client.clientId)}">${client.name}</a></th>
<td data-label="Client ID"><code>${client.clientId}</code></td>
<td data-label="Type">${typeName(client)}</td>
<td data-label="Grants"><ul class="tags">${client.grantTypes.map((g) => html`<li>${grantLabel(g)}</li>`)}</ul></td>
<td data-label="Created">${dateOf(client.createdAt)}</td>
</tr>`;
}

export function listPage(request: FastifyRequest, clients: Client[]): string {
  const body = html`<div class="page-head row">
<h1>Applications</h1>
<a class="button" href="/apps/new">New application</a>
</div>
${clients.length === 0 ? html`<div class="card empty-state">
<h2>No applications yet</h2>
<p>An application is a program that uses the Gatehouse API on its own behalf or for the people who use it: a web app they sign in to, a mobile, desktop or command-line app, or a back-end script.</p>
<p>Registering one gives it a <strong>client ID</strong>, and if it runs on a server, a <strong>client secret</strong>. It uses them to get access tokens with OAuth 2.1.</p>
<p><a href="/apps/new">Register your first application</a></p>
</div>` : html`<div class="card">
<h2 id="apps-heading" class="visually-hidden">Your applications</h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="apps-heading">
<table class="apps stack">
<thead><tr><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col">Type</th><th scope="col">Grants</th><th scope="col">Created</th></tr></thead>
<tbody>${clients.map(appRow)}</tbody>
</table>
</div>
</div>`}`;
  return shell(request, 'Applications', body);
}

export function newAppPage(request: FastifyRequest, values: AppFormValues, errors: AppFormErrors = {}): string {
  const body = html`${breadcrumb(html`<span aria-current="page">New application</span>`)}
<div class="card">
<h1>New application</h1>
${errorSummary(errors)}
<form method="post" action="/apps" novalidate>
${csrfInput(request)}
${appFields(values, errors, { isNew: true, canAllowPassword: me(request).user.isAdmin })}
<div class="actions"><button type="submit">Create application</button><a class="button secondary" href="/apps">Cancel</a></div>
</form>
</div>`;
  return shell(request, `${Object.keys(errors).length > 0 ? 'Error: ' : ''}New application`, body);
}

/** A read-only value with a label and a copy button (shown by /assets/copy.js). */
function copyField(id: string, label: string, value: string): Html {
  return html`<div class="field">
<label for="${id}">${label}</label>
<div class="copy-row">
<input type="text" id="${id}" class="secret" value="${value}" readonly spellcheck="false" autocomplete="off">
${copyButton(id, `Copy the ${label.toLowerCase()}`)}
</div>
</div>`;
}

function credentialsCard(client: Client, secret: FlashedSecret | undefined): Html {
  const previousUntil = client.previousSecretExpiresAt && client.previousSecretExpiresAt > new Date().toISOString()
    ? client.previousSecretExpiresAt : null;
  let secretPart: Html;
  if (client.isPublic) {
    secretPart = html`<p class="muted">A public application has no client secret: it proves itself with PKCE each time it signs someone in.</p>`;
  } else if (secret) {
    secretPart = html`<div class="warning" id="secret-warning">
<h3>Copy your ${secret.reason === 'rotated' ? 'new ' : ''}client secret now</h3>
<p>This is the only time it is shown. Gatehouse keeps only a hash of it, so it <strong>cannot be shown again</strong>. Store it in your password manager or your deployment’s secret store; if you lose it, rotate the secret to get a new one.</p>
</div>
${copyField('client-secret', 'Client secret', secret.secret)}`;
  } else {
    secretPart = html`<div class="field"><span class="label">Client secret</span>
<p class="muted">Hidden. A secret is shown only once, when it is created; rotate it below if you need a new one.</p></div>`;
  }
  return html`<section class="card" aria-labelledby="credentials-title">
<h2 id="credentials-title">Credentials</h2>
${copyField('client-id', 'Client ID', client.clientId)}
${secretPart}
${previousUntil ? html`<p class="muted">The previous secret keeps working until <time datetime="${previousUntil}">${readableTime(previousUntil)}</time>.</p>` : ''}
</section>`;
}

function rotateCard(request: FastifyRequest, client: Client): Html {
  const choices = [
    { value: '0', label: 'No grace: the old secret stops working now', hint: 'If the secret leaked.' },
    { value: '3600', label: '1 hour', hint: 'Time to deploy the new secret before the old one stops working.' },
    { value: '86400', label: '24 hours', hint: '' },
  ];
  return html`<section class="card" aria-labelledby="rotate-title">
<h2 id="rotate-title">Rotate secret</h2>
<p class="muted">Issues a new client secret. Rotating again ends any earlier grace period.</p>
<form method="post" action="${appPath(client.clientId, '/rotate-secret')}">
${csrfInput(request)}
<fieldset class="field">
<legend>Keep the old secret working for</legend>
${choices.map((c, i) => html`<div class="check">
<input type="radio" id="grace-${c.value}" name="grace" value="${c.value}"${i === 0 ? html` checked` : ''}${c.hint ? html` aria-describedby="grace-${c.value}-hint"` : ''}>
<div><label for="grace-${c.value}">${c.label}</label>
${c.hint ? html`<p class="hint" id="grace-${c.value}-hint">${c.hint}</p>` : ''}
</div>
</div>`)}
</fieldset>
<div class="actions"><button type="submit" class="secondary">Rotate secret</button></div>
</form>
</section>`;
}

export interface DetailOptions {
  secret?: FlashedSecret;
  /** The settings form as submitted, when it did not validate. */
  form?: { values: AppFormValues; errors: AppFormErrors };
}

export function detailPage(request: FastifyRequest, client: Client, options: DetailOptions = {}): string {
  const form = options.form ?? { values: valuesOf(client), errors: {} };
  const body = html`${breadcrumb(html`<span aria-current="page">${client.name}</span>`)}
<div class="page-head title">
<h1>${client.name}</h1>
<span class="badge">${typeName(client)}</span>
</div>
${credentialsCard(client, options.secret)}
<section class="card" aria-labelledby="settings-title">
<h2 id="settings-title">Settings</h2>
<p class="muted">Created ${dateOf(client.createdAt)}${client.updatedAt !== client.createdAt ? html`, last changed ${dateOf(client.updatedAt)}` : ''}. ${typeName(client)} application: the type cannot change.</p>
${errorSummary(form.errors)}
<form method="post" action="${appPath(client.clientId)}" novalidate>
${csrfInput(request)}
${appFields(form.values, form.errors, { isNew: false, canAllowPassword: me(request).user.isAdmin })}
<div class="actions"><button type="submit">Save changes</button></div>
</form>
</section>
${client.isPublic ? '' : rotateCard(request, client)}
<section class="card danger-zone" aria-labelledby="delete-title">
<h2 id="delete-title">Delete application</h2>
<p>Deleting it revokes every token issued to it at once, and it can no longer sign anyone in. This cannot be undone.</p>
<div class="actions"><a class="button danger" href="${appPath(client.clientId, '/delete')}">Delete application…</a></div>
</section>`;
  const failed = Object.keys(form.errors).length > 0;
  return shell(request, `${failed ? 'Error: ' : ''}${client.name}`, body, { copyScript: true });
}

/** The confirmation before a rotation with no grace period, which breaks every deployment still on the old secret. */
export function rotateNowPage(request: FastifyRequest, client: Client): string {
  const body = html`${breadcrumb(html`<a href="${appPath(client.clientId)}">${client.name}</a>`, html`<span aria-current="page">Rotate secret</span>`)}
${confirmCard({
    heading: `Rotate the secret of ${client.name} with no grace period?`,
    explanation: html`<p>The current secret stops working <strong>at once</strong>: every script, server or deployment that uses it gets <code>invalid_client</code> until it has the new one. Do this if the secret leaked. Otherwise, go back and choose a grace period of 1 or 24 hours.</p>`,
    action: appPath(client.clientId, '/rotate-secret'),
    fields: { grace: '0', confirm: 'yes' },
    csrfToken: me(request).session.csrfToken,
    button: 'Rotate now',
    cancelHref: appPath(client.clientId),
  })}`;
  return shell(request, `Rotate the secret of ${client.name}`, body, { narrow: true });
}

export function deletePage(request: FastifyRequest, client: Client): string {
  const body = html`${breadcrumb(html`<a href="${appPath(client.clientId)}">${client.name}</a>`, html`<span aria-current="page">Delete</span>`)}
${confirmCard({
    heading: `Delete ${client.name}?`,
    explanation: html`<p>Deleting this application:</p>
<ul>
<li>revokes every access token and refresh token issued to it, at once;</li>
<li>removes it from the authorized apps of everyone who approved it;</li>
<li>stops its client ID and secret from working, for good.</li>
</ul>
<p><strong>This cannot be undone.</strong></p>`,
    action: appPath(client.clientId, '/delete'),
    csrfToken: me(request).session.csrfToken,
    button: `Delete ${client.name}`,
    cancelHref: appPath(client.clientId),
  })}`;
  return shell(request, `Delete ${client.name}`, body);
}
