// /processruns/{id}: a run's page. Its steps as a timeline (status, attempts,
// durations, messages), Approve and Reject on a waiting approval, Cancel, and
// Restart from a step; kept live by /assets/run-live.js, which listens to the
// run's event stream and fetches the timeline again (server-rendered) on
// each event. Without the script, a reload shows the same.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { FINAL_RUN_STATUSES, type Run, type RunEvent, type StepRun } from '../runs/run.ts';
import { streamRunEvents } from '../runs/event-stream.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { PAGE_HEADERS, seeOther, sendPage } from '../web/respond.ts';
import { processPath, runPath, statusBadge } from './process-pages.ts';
import { pageAuditContext } from '../web/audit-context.ts';

const duration = (from: string | null, to: string | null): string => {
  if (!from) return '—';
  const ms = Date.parse(to ?? new Date().toISOString()) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
};

function stepActions(run: Run, step: StepRun, csrf: string): Html {
  const token = html`<input type="hidden" name="csrf_token" value="${csrf}">`;
  if (step.kind === 'approval' && step.status === 'Waiting' && !FINAL_RUN_STATUSES.has(run.status)) {
    return html`<form method="post" class="decision" action="${runPath(run.id, `/steps/${step.stepId}/decide`)}">${token}
<label for="comment-${step.id}">Comment <span class="muted">(optional)</span></label>
<input type="text" id="comment-${step.id}" name="comment" maxlength="2000">
<div class="inline-actions"><button type="submit" name="decision" value="approve" class="small">Approve</button><button type="submit" name="decision" value="reject" class="danger small">Reject</button></div>
</form>`;
  }
  if (FINAL_RUN_STATUSES.has(run.status)) {
    return html`<form method="post" action="${runPath(run.id, `/steps/${step.stepId}/restart`)}">${token}<button type="submit" class="secondary small" aria-label="Restart from here: ${step.name}">Restart from here</button></form>`;
  }
  return html``;
}

/** The part of the page that changes as the run goes on; /timeline serves it alone. */
export function timeline(run: Run, steps: StepRun[], events: RunEvent[], csrf: string): Html {
  const over = FINAL_RUN_STATUSES.has(run.status);
  return html`<div class="run-status" role="status" aria-live="polite">Status: ${statusBadge(run.status)}${run.startedAt ? html` <span class="muted">· ${over ? 'took' : 'running for'} ${duration(run.startedAt, run.finishedAt)}</span>` : ''}</div>
<section class="card" aria-labelledby="timeline-heading">
<h2 id="timeline-heading">Steps</h2>
${steps.length === 0 ? html`<p class="muted">This run has no steps.</p>` : html`<ol class="timeline">${steps.map((step) => html`<li class="step step-${step.status.toLowerCase()}" id="step-${step.id}">
<div class="step-head"><span class="step-name">${step.position}. ${step.name}</span> <code class="muted small">${step.kind}</code> ${statusBadge(step.status)}</div>
<p class="muted small">${step.attempts > 0 ? `Attempt ${step.attempts} of ${step.retry.maxAttempts}` : 'Not tried yet'}${step.startedAt ? ` · ${duration(step.startedAt, step.finishedAt)}` : ''}${step.waitUntil && (step.status === 'Waiting' || step.status === 'Scheduled') ? ` · until ${step.waitUntil.slice(0, 19).replace('T', ' ')} UTC` : ''}</p>
${step.completionMessage ? html`<p class="step-message">${step.completionMessage}</p>` : ''}
${stepActions(run, step, csrf)}
</li>`)}</ol>`}
</section>
${over ? '' : html`<section class="card danger-zone" aria-labelledby="cancel-heading"><h2 id="cancel-heading">Cancel this run</h2>
<p>Stops it at once: a step in flight is aborted, a wait is released.</p>
<form method="post" action="${runPath(run.id, '/cancel')}"><input type="hidden" name="csrf_token" value="${csrf}"><button type="submit" class="danger">Cancel run</button></form></section>`}
<section class="card" aria-labelledby="data-heading">
<h2 id="data-heading">Data</h2>
<pre class="code" tabindex="0"><code>${JSON.stringify(run.data, null, 2)}</code></pre>
</section>
<section class="card" aria-labelledby="events-heading">
<h2 id="events-heading">Events</h2>
<ol class="events">${events.map((e) => html`<li><time datetime="${e.at}">${e.at.slice(11, 23)}</time> <code>${e.type}</code>${e.attempt ? html` <span class="muted">attempt ${e.attempt}</span>` : ''}${e.message ? html` — ${e.message}` : ''}</li>`)}</ol>
</section>`;
}

export function runPages(app: FastifyInstance, services: Services): void {
  const { runs, users, processes, notifier } = services;
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^pr-[a-z0-9]{1,64}$' } } };
  const stepParams = { type: 'object', required: ['id', 'stepId'], properties: { id: { type: 'string', pattern: '^pr-[a-z0-9]{1,64}$' }, stepId: { type: 'string', pattern: '^(st|sr)-[a-z0-9]{1,64}$' } } };
  type P = { Params: { id: string } };
  type SP = { Params: { id: string; stepId: string } };
  const workspace = (request: FastifyRequest) => users.workspaceOf(me(request).user.id);
  const backToRun = (request: FastifyRequest) => runPath((request.params as { id: string }).id);

  const ownRun = async (request: FastifyRequest, id: string): Promise<{ run: Run; workspaceId: string }> => {
    const workspaceId = await workspace(request);
    try {
      return { run: await runs.get(workspaceId, id), workspaceId };
    } catch (error) {
      if (error instanceof NotFoundError) throw new PageError(404, 'There is no run with this ID in your workspace.', 'Run not found');
      throw error;
    }
  };
  const parts = async (request: FastifyRequest, id: string) => {
    const { run, workspaceId } = await ownRun(request, id);
    const [steps, events] = await Promise.all([runs.steps(workspaceId, id), runs.events(workspaceId, id, 0, 200)]);
    return { run, steps, events, workspaceId };
  };

  app.get<P>('/processruns/:id', { schema: { params } }, async (request, reply) => {
    const { run, steps, events, workspaceId } = await parts(request, request.params.id);
    const process = await processes.get(workspaceId, run.processId);
    const body = html`<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/processes">Processes</a></li><li><a href="${processPath(process.id)}">${process.name}</a></li><li><span aria-current="page">${run.name}</span></li></ol></nav>
<div class="page-head title"><h1>${run.name}</h1><code class="badge">${run.id}</code></div>
<p class="muted">Created by ${run.createdBy} on ${run.createdAt.slice(0, 19).replace('T', ' ')} UTC.</p>
<div data-run-live="${runPath(run.id)}">${timeline(run, steps, events, me(request).session.csrfToken)}</div>
<script src="/assets/run-live.js" defer></script>`;
    return sendPage(reply, renderPage(request, { title: run.name, body, section: '/processes' }));
  });

  app.get<P>('/processruns/:id/timeline', { schema: { params }, config: { fragment: true } }, async (request, reply) => {
    const { run, steps, events } = await parts(request, request.params.id);
    return reply.code(200).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(timeline(run, steps, events, me(request).session.csrfToken).value);
  });

  app.get<P>('/processruns/:id/live', { schema: { params }, config: { fragment: true } }, async (request, reply) => {
    const { run, workspaceId } = await ownRun(request, request.params.id);
    const lastEventId = Number(/^\d{1,15}$/.test(String(request.headers['last-event-id'] ?? '')) ? request.headers['last-event-id'] : 0);
    reply.hijack();
    await streamRunEvents(reply.raw, {
      runId: run.id,
      after: (afterId) => runs.events(workspaceId, run.id, afterId, 500),
      isOver: async () => FINAL_RUN_STATUSES.has((await runs.get(workspaceId, run.id)).status),
    }, notifier, lastEventId, { 'x-request-id': request.id });
    return reply;
  });

  const act = async (request: FastifyRequest, reply: import('fastify').FastifyReply, what: (workspaceId: string) => Promise<unknown>, notice: string) => {
    const { run, workspaceId } = await ownRun(request, (request.params as { id: string }).id);
    try {
      await what(workspaceId);
    } catch (error) {
      if (error instanceof ConflictError) throw new PageError(409, `${error.message}. Reload the run to see where it is.`, 'Not possible now');
      if (error instanceof NotFoundError) throw new PageError(404, error.message, 'Not found');
      throw error;
    }
    reply.notice(notice);
    return seeOther(reply, runPath(run.id));
  };

  app.post<P>('/processruns/:id/cancel', { schema: { params }, config: { returnTo: backToRun } }, async (request, reply) =>
    act(request, reply, (ws) => runs.cancel(ws, request.params.id, me(request).user.email, pageAuditContext(request)), 'The run was cancelled.'));

  app.post<SP>('/processruns/:id/steps/:stepId/decide', { schema: { params: stepParams }, config: { returnTo: backToRun } }, async (request, reply) => {
    const decision = request.form.decision;
    if (decision !== 'approve' && decision !== 'reject') throw new PageError(400, 'Choose Approve or Reject.', 'Invalid request');
    const comment = (request.form.comment ?? '').trim().slice(0, 2000) || null;
    return act(request, reply, (ws) => runs.decide(ws, request.params.id, request.params.stepId, decision === 'approve', comment, me(request).user.email, pageAuditContext(request)),
      decision === 'approve' ? 'Approved.' : 'Rejected: the run has failed.');
  });

  app.post<SP>('/processruns/:id/steps/:stepId/restart', { schema: { params: stepParams }, config: { returnTo: backToRun } }, async (request, reply) =>
    act(request, reply, (ws) => runs.restartFrom(ws, request.params.id, request.params.stepId, me(request).user.email), 'The run was restarted from that step.'));
}
