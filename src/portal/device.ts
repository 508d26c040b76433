// /device: a signed-in user enters the code a device shows, then approves or
// denies it (RFC 8628 §3.3). Codes are checked against a throttle, since a
// user code has only about 34 bits.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { SCOPES } from '../scopes.ts';
import { html } from '../web/html.ts';
import { page } from '../web/layout.ts';
import { sendPage } from '../web/plugin.ts';
import { csrfOk, signedInOrRedirect } from '../web/guard.ts';
import type { SignedIn } from '../web/session.ts';
import { formatUserCode, normalizeUserCode } from '../oauth/device/device-flow.ts';
import { Throttle } from '../security/throttle.ts';

const DEVICE_CODE_ENTRY = { name: 'device-code-entry', limit: 10, windowSeconds: 15 * 60 };

interface DeviceForm {
  csrf_token?: string;
  user_code?: string;
  decision?: string;
}

function entryPage(signedIn: SignedIn, options: { code?: string; error?: string; notice?: string } = {}): string {
  return page({
    title: 'Connect a device',
    narrow: true,
    user: signedIn.user,
    csrfToken: signedIn.session.csrfToken,
    body: html`<div class="card">
  <h1>Connect a device</h1>
  ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
  ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
  <p class="muted">Enter the code shown on your device or in your terminal.</p>
  <form method="post" action="/device">
    <input type="hidden" name="csrf_token" value="${signedIn.session.csrfToken}">
    <label for="user_code">Code</label>
    <input type="text" id="user_code" name="user_code" value="${options.code ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus placeholder="XXXX-XXXX">
    <div class="actions"><button type="submit">Continue</button></div>
  </form>
</div>`,
  });
}

export async function devicePages(app: FastifyInstance, services: Services): Promise<void> {
  const { sessions, devices } = services;
  const throttle = new Throttle(services.store);

  app.get<{ Querystring: { user_code?: string } }>('/device', {
    schema: { querystring: { type: 'object', properties: { user_code: { type: 'string', maxLength: 20 } } } },
  }, async (request, reply) => {
    const signedIn = await signedInOrRedirect(sessions, request, reply);
    if (!signedIn) return reply;
    return sendPage(reply, entryPage(signedIn, { code: request.query.user_code ?? '' }));
  });

  app.post<{ Body: DeviceForm }>('/device', async (request, reply) => {
    const signedIn = await signedInOrRedirect(sessions, request, reply);
    if (!signedIn) return reply;
    const form = request.body ?? {};
    if (!csrfOk(sessions, signedIn, form.csrf_token, reply)) return reply;
    const verdict = await throttle.attempt([[DEVICE_CODE_ENTRY, signedIn.user.id]]);
    if (!verdict.allowed) {
      return sendPage(reply, entryPage(signedIn, { error: 'Too many attempts. Wait a few minutes and try again.' }), { status: 429 });
    }
    const code = form.user_code ?? '';
    const found = await devices.pending(code);
    if (!found) return sendPage(reply, entryPage(signedIn, { code, error: 'That code is not valid or has expired. Check it and try again.' }), { status: 400 });

    if (form.decision === 'approve' || form.decision === 'deny') {
      const approve = form.decision === 'approve';
      if (!(await devices.decide(code, signedIn.user, approve))) {
        return sendPage(reply, entryPage(signedIn, { error: 'That request was already decided or has expired.' }), { status: 409 });
      }
      await throttle.reset(DEVICE_CODE_ENTRY, signedIn.user.id);
      return sendPage(reply, entryPage(signedIn, {
        notice: approve ? `${found.client.name} is connected. You can return to your device.` : `You denied ${found.client.name}.`,
      }));
    }

    const userCode = formatUserCode(normalizeUserCode(code));
    return sendPage(reply, page({
      title: 'Approve device',
      narrow: true,
      user: signedIn.user,
      csrfToken: signedIn.session.csrfToken,
      body: html`<div class="card">
  <h1>Connect ${found.client.name}?</h1>
  <p>A device using the code <strong><code>${userCode}</code></strong> asks to act as <strong>${signedIn.user.email}</strong> with these permissions:</p>
  <ul class="scopes">${found.device.scopes.map((s) => html`<li><code>${s}</code> — ${SCOPES[s] ?? ''}</li>`)}</ul>
  <p class="muted">Only approve if you started this on a device you trust.</p>
  <form method="post" action="/device" class="actions">
    <input type="hidden" name="csrf_token" value="${signedIn.session.csrfToken}">
    <input type="hidden" name="user_code" value="${userCode}">
    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
  </form>
</div>`,
    }));
  });
}
