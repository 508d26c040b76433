// /device: a signed-in user enters the code a device shows, then approves or
// denies it (RFC 8628 §3.3). Code entries are limited per user (DeviceFlow),
// since a user code has only about 34 bits.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { Client } from '../client/client.ts';
import type { DeviceAuthorization } from '../oauth/device/device-authorization.ts';
import { SCOPES } from '../scopes.ts';
import { html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { sendPage } from '../web/respond.ts';

import { formatUserCode } from '../oauth/device/device-flow.ts';
import { durationInWords } from '../duration.ts';
import { pageAuditContext } from '../web/audit-context.ts';

function entryPage(request: FastifyRequest, options: { code?: string; error?: string; notice?: string } = {}): string {
  const { session } = me(request);
  return renderPage(request, {
    title: 'Connect a device',
    narrow: true,
    body: html`<div class="card">
  <h1>Connect a device</h1>
  ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
  ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
  <p class="muted">Enter the code shown on your device or in your terminal.</p>
  <form method="post" action="/device">
    <input type="hidden" name="csrf_token" value="${session.csrfToken}">
    <label for="user_code">Code</label>
    <input type="text" id="user_code" name="user_code" value="${options.code ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus placeholder="XXXX-XXXX">
    <div class="actions"><button type="submit">Continue</button></div>
  </form>
</div>`,
  });
}

function approvalPage(request: FastifyRequest, device: DeviceAuthorization, client: Client, ownerEmail: string | null): string {
  const { user, session } = me(request);
  const userCode = formatUserCode(device.userCode);
  return renderPage(request, {
    title: 'Approve device',
    narrow: true,
    body: html`<div class="card">
  <h1>Connect ${client.name}?</h1>
  <p>A device using the code <strong><code>${userCode}</code></strong> asks to act as <strong>${user.email}</strong> for <strong>${client.name}</strong>${ownerEmail ? html`, an application made by <strong>${ownerEmail}</strong>,` : ''} with these permissions:</p>
  <ul class="scopes">${device.scopes.map((s) => html`<li><code>${s}</code> — ${SCOPES[s] ?? ''}</li>`)}</ul>
  <p class="muted">Only approve if you started this on a device you trust.</p>
  <form method="post" action="/device" class="actions">
    <input type="hidden" name="csrf_token" value="${session.csrfToken}">
    <input type="hidden" name="user_code" value="${userCode}">
    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
  </form>
</div>`,
  });
}

export function devicePages(app: FastifyInstance, services: Services): void {
  const { devices, clients } = services;

  app.get<{ Querystring: { user_code?: string } }>('/device', {
    schema: { querystring: { type: 'object', properties: { user_code: { type: 'string', maxLength: 20 } } } },
  }, async (request, reply) => sendPage(reply, entryPage(request, { code: request.query.user_code ?? '' })));

  app.post('/device', async (request, reply) => {
    const form = request.form;
    const code = (form.user_code ?? '').slice(0, 100);
    const entered = await devices.enter(code, me(request).user);
    if (!entered.ok && entered.reason === 'throttled') {
      reply.header('retry-after', String(entered.retryAfter));
      return sendPage(reply, entryPage(request, { error: `Too many codes entered. Wait ${durationInWords(entered.retryAfter)} and try again.` }), { status: 429 });
    }
    if (!entered.ok) return sendPage(reply, entryPage(request, { code, error: 'That code is not valid or has expired. Check it and try again.' }), { status: 400 });
    const { device, client } = entered;

    if (form.decision === 'approve' || form.decision === 'deny') {
      const approve = form.decision === 'approve';
      if (!(await devices.decide(code, me(request).user, approve, pageAuditContext(request)))) {
        return sendPage(reply, entryPage(request, { error: 'That request was already decided or has expired.' }), { status: 409 });
      }
      return sendPage(reply, entryPage(request, {
        notice: approve ? `${client.name} is connected. You can return to your device.` : `You denied ${client.name}.`,
      }));
    }
    return sendPage(reply, approvalPage(request, device, client, await clients.ownerEmail(client)));
  });
}

