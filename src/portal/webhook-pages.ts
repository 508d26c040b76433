// /webhooks: the workspace's webhook endpoints. Register one (its signing
// secret is shown once), send a test, see each message's delivery attempts
// and redeliver it, rotate the secret, disable or delete the endpoint.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { WEBHOOK_EVENTS, type WebhookEndpoint } from '../webhooks/webhook.ts';
import { OneTimeFlash } from '../web/flash.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { confirmCard, COPY_SCRIPT_TAG, copyButton, fieldError, invalidAttrs } from '../web/widgets.ts';
import { statusBadge } from './process-pages.ts';

const PATH = '/webhooks';
const endpointPath = (id: string, suffix = '') => `${PATH}/${encodeURIComponent(id)}${suffix}`;
const EVENT_HINTS: Record<string, string> = {
  'run.started': 'a run started',
  'run.finished': 'a run finished, every step done',
  'run.failed': 'a run failed or timed out',
  'run.cancelled': 'a run was cancelled',
  'step.waiting': 'an approval waits for someone',
};

interface EndpointForm {
  url: string;
  description: string;
  events: string[];
  errors: { url?: string; events?: string; description?: string };
}

const emptyForm = (): EndpointForm => ({ url: '', description: '', events: ['run.finished', 'run.failed'], errors: {} });

function secretPanel(secret: string): Html {
  return html`<section class="card reveal" aria-labelledby="secret-heading">
<h2 id="secret-heading">Signing secret</h2>
<p class="warning" role="status"><strong>Copy it now.</strong> It is shown only this once. Verify each delivery's <code>webhook-signature</code> with it, as the Standard Webhooks libraries do.</p>
<label for="webhook-secret">Secret</label>
<div class="copy-row"><input type="text" id="webhook-secret" class="secret" value="${secret}" readonly spellcheck="false" autocomplete="off">${copyButton('webhook-secret', 'Copy the signing secret')}</div>
</section>`;
}

function endpointForm(request: FastifyRequest, form: EndpointForm): Html {
  const { errors } = form;
  return html`<section class="card" aria-labelledby="create-heading">
<h2 id="create-heading">Add an endpoint</h2>
${Object.keys(errors).length > 0 ? html`<p class="error" role="alert">The endpoint was not added. Check the fields marked below.</p>` : ''}
<form method="post" action="${PATH}">
<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">
<label for="webhook-url">URL</label>
<p class="hint" id="webhook-url-hint">Where Gatehouse POSTs each event, as JSON. Public addresses only, unless your operator allowed an internal one.</p>
<input type="url" id="webhook-url" name="url" value="${form.url}" maxlength="2000" required${invalidAttrs('webhook-url-error', errors.url, 'webhook-url-hint')}>
${fieldError('webhook-url-error', errors.url)}
<fieldset${invalidAttrs('webhook-events-error', errors.events)}>
<legend>Events</legend>
${fieldError('webhook-events-error', errors.events)}
${WEBHOOK_EVENTS.map((e) => html`<div class="check"><input type="checkbox" id="event-${e}" name="event:${e}" value="on"${form.events.includes(e) ? html` checked` : ''}><label for="event-${e}"><code>${e}</code> <span class="muted">— ${EVENT_HINTS[e]}</span></label></div>`)}
</fieldset>
<label for="webhook-description">Description <span class="muted">(optional)</span></label>
<input type="text" id="webhook-description" name="description" value="${form.description}" maxlength="500"${invalidAttrs('webhook-description-error', errors.description)}>
${fieldError('webhook-description-error', errors.description)}
<div class="actions"><button type="submit">Add endpoint</button></div>
</form>
</section>`;
}

export function webhookPages(app: FastifyInstance, services: Services): void {
  const { webhooks, users } = services;
  const secrets = new OneTimeFlash<string>();
  const workspace = (request: FastifyRequest) => users.workspaceOf(me(request).user.id);
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^we-[a-z0-9]{1,64}$' } } };
  type P = { Params: { id: string } };
  const back = (request: FastifyRequest) => endpointPath((request.params as { id: string }).id);

  const own = async (request: FastifyRequest, id: string): Promise<WebhookEndpoint> => {
    try {
      return await webhooks.get(await workspace(request), id);
    } catch (error) {
      if (error instanceof NotFoundError) throw new PageError(404, 'There is no such endpoint in your workspace.', 'Endpoint not found');
      throw error;
    }
  };

  const listPage = async (request: FastifyRequest, form = emptyForm()) => {
    const endpoints = await webhooks.list(await workspace(request));
    const body = html`<div class="page-head"><h1>Webhooks</h1>
<p class="muted">Gatehouse tells your endpoints when runs start, finish, fail or are cancelled, and when an approval waits. Each delivery is signed (Standard Webhooks) and retried until your endpoint answers 2xx.</p></div>
<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading">Endpoints</h2>
${endpoints.length === 0 ? html`<p class="muted">No endpoints yet.</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading"><table class="stack">
<thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Status</th></tr></thead>
<tbody>${endpoints.map((e) => html`<tr><th scope="row" data-label="URL"><a href="${endpointPath(e.id)}">${e.url}</a>${e.description ? html`<p class="hint">${e.description}</p>` : ''}</th>
<td data-label="Events"><ul class="tags">${e.events.map((ev) => html`<li><code>${ev}</code></li>`)}</ul></td>
<td data-label="Status">${statusBadge(e.disabledAt ? 'Disabled' : 'Active')}</td></tr>`)}</tbody></table></div>`}
</section>
${endpointForm(request, form)}`;
    return renderPage(request, { title: 'Webhooks', body, section: PATH });
  };

  app.get(PATH, async (request, reply) => sendPage(reply, await listPage(request)));

  app.post(PATH, async (request, reply) => {
    const fields = request.form;
    const form: EndpointForm = { url: (fields.url ?? '').slice(0, 4000), description: (fields.description ?? '').slice(0, 1000), events: WEBHOOK_EVENTS.filter((e) => fields[`event:${e}`] !== undefined), errors: {} };
    try {
      const { endpoint, secret } = await webhooks.create(await workspace(request), form);
      secrets.put(me(request).session.idHash, endpoint.id, secret);
      reply.notice('The endpoint was added.');
      return seeOther(reply, endpointPath(endpoint.id));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const e of error.errors) {
        const field = e.field.startsWith('events') ? 'events' : e.field === 'description' ? 'description' : 'url';
        form.errors[field] = field === 'events' ? 'Choose at least one event.' : `${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}.`;
      }
      return sendPage(reply, await listPage(request, form), { status: 422 });
    }
  });

  app.get<P>(`${PATH}/:id`, { schema: { params } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    const secret = request.method === 'GET' ? secrets.take(me(request).session.idHash, endpoint.id) : undefined;
    const log = await webhooks.log(await workspace(request), endpoint.id, 50);
    const csrf = html`<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">`;
    const body = html`<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="${PATH}">Webhooks</a></li><li><span aria-current="page">${endpoint.url}</span></li></ol></nav>
<div class="page-head title"><h1>${endpoint.url}</h1>${statusBadge(endpoint.disabledAt ? 'Disabled' : 'Active')}</div>
${secret ? secretPanel(secret) : ''}
<section class="card" aria-labelledby="actions-heading">
<h2 id="actions-heading">Endpoint</h2>
<p>Events: ${endpoint.events.map((e, i) => html`${i > 0 ? ', ' : ''}<code>${e}</code>`)}</p>
<div class="actions">
<form method="post" action="${endpointPath(endpoint.id, '/test')}">${csrf}<button type="submit">Send a test</button></form>
<form method="post" action="${endpointPath(endpoint.id, '/toggle')}">${csrf}<button type="submit" class="secondary">${endpoint.disabledAt ? 'Enable' : 'Disable'}</button></form>
<form method="post" action="${endpointPath(endpoint.id, '/rotate-secret')}">${csrf}<button type="submit" class="secondary">Rotate the secret</button></form>
<a class="button danger" href="${endpointPath(endpoint.id, '/delete')}">Delete…</a>
</div>
</section>
<section class="card" aria-labelledby="log-heading">
<h2 id="log-heading">Deliveries</h2>
${log.length === 0 ? html`<p class="muted">Nothing sent yet.</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="log-heading"><table class="stack">
<thead><tr><th scope="col">Message</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${log.map((m) => html`<tr>
<th scope="row" data-label="Message"><code>${m.eventType}</code><br><code class="muted small">${m.id}</code></th>
<td data-label="Status">${statusBadge(m.status === 'delivered' ? 'Success' : m.status === 'failed' ? 'Failed' : 'Scheduled')}${m.lastError ? html`<p class="hint">${m.lastError}</p>` : ''}</td>
<td data-label="Attempts"><ol class="events">${m.deliveries.map((d) => html`<li><time datetime="${d.at}">${d.at.slice(0, 19).replace('T', ' ')}</time> ${d.statusCode ?? 'no answer'}${d.error ? html` — ${d.error}` : ''} <span class="muted">(${d.durationMs} ms)</span></li>`)}</ol></td>
<td class="row-actions"><form method="post" action="${endpointPath(endpoint.id, `/messages/${m.id}/redeliver`)}">${csrf}<button type="submit" class="secondary small" aria-label="Redeliver ${m.id}">Redeliver</button></form></td>
</tr>`)}</tbody></table></div>`}
</section>
${secret ? COPY_SCRIPT_TAG : ''}`;
    return sendPage(reply, renderPage(request, { title: `Webhook ${endpoint.url}`, body, section: PATH }));
  });

  app.post<P>(`${PATH}/:id/test`, { schema: { params }, config: { returnTo: back } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    await webhooks.sendTest(endpoint.workspaceId, endpoint.id);
    reply.notice('A test message is on its way; its delivery appears below.');
    return seeOther(reply, endpointPath(endpoint.id));
  });

  app.post<P>(`${PATH}/:id/toggle`, { schema: { params }, config: { returnTo: back } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    await webhooks.update(endpoint.workspaceId, endpoint.id, { disabled: endpoint.disabledAt === null });
    reply.notice(endpoint.disabledAt === null ? 'The endpoint is disabled: nothing is sent to it.' : 'The endpoint is enabled again.');
    return seeOther(reply, endpointPath(endpoint.id));
  });

  app.post<P>(`${PATH}/:id/rotate-secret`, { schema: { params }, config: { returnTo: back } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    const { secret } = await webhooks.rotateSecret(endpoint.workspaceId, endpoint.id);
    secrets.put(me(request).session.idHash, endpoint.id, secret);
    reply.notice('A new secret signs every delivery from now on; the old one no longer does.');
    return seeOther(reply, endpointPath(endpoint.id));
  });

  app.post<{ Params: { id: string; messageId: string } }>(`${PATH}/:id/messages/:messageId/redeliver`, {
    schema: { params: { type: 'object', required: ['id', 'messageId'], properties: { id: { type: 'string', pattern: '^we-[a-z0-9]{1,64}$' }, messageId: { type: 'string', pattern: '^msg_[a-z0-9]{1,64}$' } } } },
    config: { returnTo: back },
  }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    try {
      await webhooks.redeliver(endpoint.workspaceId, endpoint.id, request.params.messageId);
    } catch (error) {
      if (error instanceof NotFoundError) throw new PageError(404, 'There is no such message.', 'Message not found');
      throw error;
    }
    reply.notice('The message is being sent again.');
    return seeOther(reply, endpointPath(endpoint.id));
  });

  app.get<P>(`${PATH}/:id/delete`, { schema: { params } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    const body = confirmCard({
      heading: `Delete the endpoint ${endpoint.url}?`,
      explanation: html`<p>Nothing more is sent to it, and its delivery log goes with it.</p>`,
      action: endpointPath(endpoint.id, '/delete'),
      csrfToken: me(request).session.csrfToken,
      button: 'Delete endpoint',
      cancelHref: endpointPath(endpoint.id),
    });
    return sendPage(reply, renderPage(request, { title: 'Delete endpoint', body, section: PATH, narrow: true }));
  });

  app.post<P>(`${PATH}/:id/delete`, { schema: { params }, config: { returnTo: back } }, async (request, reply) => {
    const endpoint = await own(request, request.params.id);
    await webhooks.delete(endpoint.workspaceId, endpoint.id);
    reply.notice(`Deleted the endpoint ${endpoint.url}.`);
    return seeOther(reply, PATH);
  });
}
