// /processes/{id}: a process's page. Its steps (add, edit, move, delete),
// "Run now" with JSON data, and its runs, filterable by status. Every id of
// another workspace is the 404 page.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { Process } from '../process/process.ts';
import type { Step, StepKind } from '../process/step.ts';
import { STEP_KINDS } from '../process/step.ts';
import { NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { RUN_STATUSES, type Run, type RunStatus } from '../runs/run.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { confirmCard, fieldError, invalidAttrs } from '../web/widgets.ts';

const KIND_HELP: Record<StepKind, { example: object; about: string }> = {
  http: { example: { method: 'POST', url: 'https://example.com/hook/{{customer}}', headers: { 'x-source': 'gatehouse' }, body: { total: '{{total}}' }, resultKey: 'response' }, about: 'Calls a URL. Strings may hold {{ JSONata }} templates over the run\u2019s data; a status outside 2xx fails the step.' },
  transform: { example: { expression: '$sum(items.price)', resultKey: 'total' }, about: 'A JSONata expression over the run\u2019s data; its value is stored under resultKey.' },
  delay: { example: { seconds: 60 }, about: 'Waits, durably: the timer survives restarts.' },
  approval: { example: { message: 'Check the totals', deadlineSeconds: 86400 }, about: 'Waits for someone to approve or reject, before the deadline if there is one.' },
};

export const processPath = (id: string, suffix = '') => `/processes/${encodeURIComponent(id)}${suffix}`;
export const runPath = (id: string, suffix = '') => `/processruns/${encodeURIComponent(id)}${suffix}`;

const notFound = () => new PageError(404, 'There is no process with this ID in your workspace.', 'Process not found');

export function statusBadge(status: string): Html {
  return html`<span class="status status-${status.toLowerCase()}">${status}</span>`;
}

interface StepForm {
  name: string;
  kind: string;
  config: string;
  timeoutSeconds: string;
  maxAttempts: string;
  backoffSeconds: string;
  errors: Partial<Record<'name' | 'kind' | 'config' | 'timeoutSeconds' | 'retry', string>>;
}

const emptyStepForm = (): StepForm => ({ name: '', kind: 'transform', config: JSON.stringify(KIND_HELP.transform.example, null, 2), timeoutSeconds: '', maxAttempts: '1', backoffSeconds: '0', errors: {} });

const formOf = (step: Step): StepForm => ({
  name: step.name, kind: step.kind, config: JSON.stringify(step.config, null, 2), timeoutSeconds: step.timeoutSeconds === null ? '' : String(step.timeoutSeconds),
  maxAttempts: String(step.retry.maxAttempts), backoffSeconds: String(step.retry.backoffSeconds), errors: {},
});

/** The form's fields as the service takes them; errors for what is not even of the right type. */
function readStepForm(fields: Record<string, string>): { form: StepForm; input?: { name: string; kind: StepKind; config: Record<string, unknown>; timeoutSeconds: number | null; retry: { maxAttempts: number; backoffSeconds: number } } } {
  const form: StepForm = {
    name: (fields.name ?? '').slice(0, 1000), kind: fields.kind ?? '', config: (fields.config ?? '').slice(0, 200_000),
    timeoutSeconds: fields.timeoutSeconds ?? '', maxAttempts: fields.maxAttempts ?? '1', backoffSeconds: fields.backoffSeconds ?? '0', errors: {},
  };
  let config: unknown;
  try {
    config = JSON.parse(form.config);
  } catch {
    form.errors.config = 'This is not JSON. Write an object, such as the example.';
  }
  const number = (text: string) => (/^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : NaN);
  const timeout = form.timeoutSeconds.trim() === '' ? null : number(form.timeoutSeconds);
  if (Number.isNaN(timeout)) form.errors.timeoutSeconds = 'Give a whole number of seconds, or leave it empty.';
  const retry = { maxAttempts: number(form.maxAttempts), backoffSeconds: number(form.backoffSeconds) };
  if (Number.isNaN(retry.maxAttempts) || Number.isNaN(retry.backoffSeconds)) form.errors.retry = 'Give whole numbers.';
  if (Object.keys(form.errors).length > 0) return { form };
  return { form, input: { name: form.name, kind: form.kind as StepKind, config: config as Record<string, unknown>, timeoutSeconds: timeout, retry } };
}

function applyErrors(form: StepForm, errors: FieldError[]): void {
  for (const e of errors) {
    const key = e.field === 'name' ? 'name' : e.field === 'kind' ? 'kind' : e.field.startsWith('config') ? 'config' : e.field === 'timeoutSeconds' ? 'timeoutSeconds' : e.field.startsWith('retry') ? 'retry' : 'config';
    const message = `${e.field === key || key === 'name' || key === 'kind' ? '' : `${e.field}: `}${e.message}.`;
    form.errors[key] = form.errors[key] ? `${form.errors[key]} ${message}` : message.charAt(0).toUpperCase() + message.slice(1);
  }
}

function stepFields(prefix: string, form: StepForm): Html {
  const { errors } = form;
  return html`<label for="${prefix}-name">Name</label>
<input type="text" id="${prefix}-name" name="name" value="${form.name}" maxlength="200" required${invalidAttrs(`${prefix}-name-error`, errors.name)}>
${fieldError(`${prefix}-name-error`, errors.name)}
<label for="${prefix}-kind">Kind</label>
<select id="${prefix}-kind" name="kind"${invalidAttrs(`${prefix}-kind-error`, errors.kind)}>
${STEP_KINDS.map((k) => html`<option value="${k}"${form.kind === k ? html` selected` : ''}>${k}</option>`)}
</select>
${fieldError(`${prefix}-kind-error`, errors.kind)}
<label for="${prefix}-config">Settings (JSON)</label>
<p class="hint" id="${prefix}-config-hint">${STEP_KINDS.map((k) => html`<strong>${k}</strong>: ${KIND_HELP[k].about} For example <code>${JSON.stringify(KIND_HELP[k].example)}</code>. `)}</p>
<textarea id="${prefix}-config" name="config" rows="6" spellcheck="false"${invalidAttrs(`${prefix}-config-error`, errors.config, `${prefix}-config-hint`)}>${form.config}</textarea>
${fieldError(`${prefix}-config-error`, errors.config)}
<div class="inline-fields">
<div><label for="${prefix}-timeout">Timeout, seconds</label>
<input type="text" inputmode="numeric" id="${prefix}-timeout" name="timeoutSeconds" value="${form.timeoutSeconds}"${invalidAttrs(`${prefix}-timeout-error`, errors.timeoutSeconds)}>
${fieldError(`${prefix}-timeout-error`, errors.timeoutSeconds)}</div>
<div><label for="${prefix}-attempts">Attempts</label>
<input type="text" inputmode="numeric" id="${prefix}-attempts" name="maxAttempts" value="${form.maxAttempts}"${invalidAttrs(`${prefix}-retry-error`, errors.retry)}></div>
<div><label for="${prefix}-backoff">Backoff, seconds</label>
<input type="text" inputmode="numeric" id="${prefix}-backoff" name="backoffSeconds" value="${form.backoffSeconds}"${invalidAttrs(`${prefix}-retry-error`, errors.retry)}></div>
</div>
${fieldError(`${prefix}-retry-error`, errors.retry)}`;
}

function stepsCard(request: FastifyRequest, process: Process, steps: Step[]): Html {
  const csrf = me(request).session.csrfToken;
  const token = html`<input type="hidden" name="csrf_token" value="${csrf}">`;
  return html`<section class="card" aria-labelledby="steps-heading">
<h2 id="steps-heading">Steps</h2>
${steps.length === 0 ? html`<p class="muted">No steps yet. A run of a process without steps finishes at once. Add the first step below.</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="steps-heading">
<table class="stack">
<thead><tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Settings</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${steps.map((step, i) => html`<tr>
<td data-label="#">${step.position}</td>
<th scope="row" data-label="Name"><a href="${processPath(process.id, `/steps/${step.id}`)}">${step.name}</a></th>
<td data-label="Kind"><code>${step.kind}</code></td>
<td data-label="Settings"><code class="config">${JSON.stringify(step.config)}</code></td>
<td class="row-actions"><div class="inline-actions">
${i > 0 ? html`<form method="post" action="${processPath(process.id, `/steps/${step.id}/move`)}">${token}<input type="hidden" name="position" value="${step.position - 1}"><button class="secondary small" type="submit" aria-label="Move ${step.name} up">Up</button></form>` : ''}
${i < steps.length - 1 ? html`<form method="post" action="${processPath(process.id, `/steps/${step.id}/move`)}">${token}<input type="hidden" name="position" value="${step.position + 1}"><button class="secondary small" type="submit" aria-label="Move ${step.name} down">Down</button></form>` : ''}
<a class="button danger small" href="${processPath(process.id, `/steps/${step.id}/delete`)}" aria-label="Delete ${step.name}…">Delete…</a>
</div></td>
</tr>`)}</tbody>
</table>
</div>`}
</section>`;
}

function addStepCard(request: FastifyRequest, process: Process, form: StepForm): Html {
  return html`<section class="card" aria-labelledby="add-step-heading">
<h2 id="add-step-heading">Add a step</h2>
${Object.keys(form.errors).length > 0 ? html`<p class="error" role="alert">The step was not added. Check the fields marked below.</p>` : ''}
<form method="post" action="${processPath(process.id, '/steps')}">
<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">
${stepFields('new-step', form)}
<div class="actions"><button type="submit">Add step</button></div>
</form>
</section>`;
}

function runNowCard(request: FastifyRequest, process: Process, data: string, error?: string): Html {
  return html`<section class="card" aria-labelledby="run-heading">
<h2 id="run-heading">Run now</h2>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="${processPath(process.id, '/run')}">
<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">
<label for="run-data">Data (a JSON object)</label>
<p class="hint" id="run-data-hint">The run starts with this data; each step can read it and add its result.</p>
<textarea id="run-data" name="data" rows="4" spellcheck="false"${invalidAttrs('run-data-error', error, 'run-data-hint')}>${data}</textarea>
<div class="actions"><button type="submit">Run now</button></div>
</form>
</section>`;
}

export function runsTable(runs: Run[], caption: string): Html {
  if (runs.length === 0) return html`<p class="muted">No runs.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}">
<table class="stack">
<thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">By</th></tr></thead>
<tbody>${runs.map((run) => html`<tr>
<th scope="row" data-label="Run"><a href="${runPath(run.id)}">${run.name}</a><br><code class="muted small">${run.id}</code></th>
<td data-label="Status">${statusBadge(run.status)}</td>
<td data-label="Started">${run.startedAt ? html`<time datetime="${run.startedAt}">${run.startedAt.slice(0, 19).replace('T', ' ')}</time>` : html`<span class="muted">—</span>`}</td>
<td data-label="Finished">${run.finishedAt ? html`<time datetime="${run.finishedAt}">${run.finishedAt.slice(0, 19).replace('T', ' ')}</time>` : html`<span class="muted">—</span>`}</td>
<td data-label="By">${run.createdBy}</td>
</tr>`)}</tbody>
</table>
</div>`;
}

function runsCard(process: Process, runs: Run[], status: RunStatus | undefined, nextCursor: string | null): Html {
  const filter = (s: RunStatus | undefined, label: string) => html`<a href="${processPath(process.id, s ? `?status=${s}` : '')}#runs-heading"${s === status ? html` aria-current="true"` : ''} class="filter">${label}</a>`;
  return html`<section class="card" aria-labelledby="runs-heading">
<h2 id="runs-heading">Runs</h2>
<nav class="filters" aria-label="Filter runs by status">${filter(undefined, 'All')}${RUN_STATUSES.map((s) => filter(s, s))}</nav>
${runsTable(runs, 'Runs of this process')}
${nextCursor ? html`<p><a href="${processPath(process.id, `?${status ? `status=${status}&` : ''}cursor=${encodeURIComponent(nextCursor)}`)}#runs-heading">Older runs →</a></p>` : ''}
</section>`;
}

export function processPages(app: FastifyInstance, services: Services): void {
  const { processes, runs, users } = services;
  const actor = (request: FastifyRequest) => me(request).user.email;
  const workspace = (request: FastifyRequest) => users.workspaceOf(me(request).user.id);
  const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^p-[a-z0-9]{1,64}$' } } };
  const stepParams = { type: 'object', required: ['id', 'stepId'], properties: { id: { type: 'string', pattern: '^p-[a-z0-9]{1,64}$' }, stepId: { type: 'string', pattern: '^st-[a-z0-9]{1,64}$' } } };
  type P = { Params: { id: string } };
  type SP = { Params: { id: string; stepId: string } };

  const ownProcess = async (request: FastifyRequest, id: string) => {
    try {
      return await processes.get(await workspace(request), id);
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound();
      throw error;
    }
  };
  const ownStep = async (request: FastifyRequest, process: Process, stepId: string) => {
    const step = await processes.step(await workspace(request), stepId).catch(() => undefined);
    if (!step || step.processId !== process.id) throw new PageError(404, 'That step is not in this process.', 'Step not found');
    return step;
  };

  const processPage = async (request: FastifyRequest, process: Process, options: { stepForm?: StepForm; data?: string; dataError?: string; status?: RunStatus; cursor?: string | null } = {}) => {
    const ws = await workspace(request);
    const steps = await processes.steps(ws, process.id);
    const list = await runs.list(ws, { processId: process.id, status: options.status }, 25, options.cursor ?? null);
    const body = html`<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/processes">Processes</a></li><li><span aria-current="page">${process.name}</span></li></ol></nav>
<div class="page-head title"><h1>${process.name}</h1><code class="badge">${process.id}</code></div>
${process.description ? html`<p class="muted">${process.description}</p>` : ''}
${stepsCard(request, process, steps)}
${runNowCard(request, process, options.data ?? '{}', options.dataError)}
${runsCard(process, list.items, options.status, list.nextCursor)}
${addStepCard(request, process, options.stepForm ?? emptyStepForm())}`;
    return renderPage(request, { title: process.name, body, section: '/processes' });
  };

  app.get<P & { Querystring: { status?: RunStatus; cursor?: string } }>('/processes/:id', {
    schema: { params, querystring: { type: 'object', properties: { status: { type: 'string', enum: [...RUN_STATUSES] }, cursor: { type: 'string', pattern: '^pr-[a-z0-9]{1,64}$' } } } },
  }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    return sendPage(reply, await processPage(request, process, { status: request.query.status, cursor: request.query.cursor ?? null }));
  });

  app.post<P>('/processes/:id/steps', { schema: { params }, config: { returnTo: (r) => processPath((r.params as { id: string }).id) } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const { form, input } = readStepForm(request.form);
    if (input) {
      try {
        const step = await processes.addStep(await workspace(request), process.id, input, actor(request));
        reply.notice(`Added the step “${step.name}”.`);
        return seeOther(reply, processPath(process.id));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        applyErrors(form, error.errors);
      }
    }
    return sendPage(reply, await processPage(request, process, { stepForm: form }), { status: 422 });
  });

  app.get<SP>('/processes/:id/steps/:stepId', { schema: { params: stepParams } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const step = await ownStep(request, process, request.params.stepId);
    return sendPage(reply, stepPage(request, process, step, formOf(step)));
  });

  const stepPage = (request: FastifyRequest, process: Process, step: Step, form: StepForm) => {
    const body = html`<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/processes">Processes</a></li><li><a href="${processPath(process.id)}">${process.name}</a></li><li><span aria-current="page">${step.name}</span></li></ol></nav>
<section class="card" aria-labelledby="edit-step-heading">
<h1 id="edit-step-heading">Step ${step.position}: ${step.name}</h1>
${Object.keys(form.errors).length > 0 ? html`<p class="error" role="alert">The step was not saved. Check the fields marked below.</p>` : ''}
<p class="muted">Runs under way keep the steps they started with; a change applies to the next run.</p>
<form method="post" action="${processPath(process.id, `/steps/${step.id}`)}">
<input type="hidden" name="csrf_token" value="${me(request).session.csrfToken}">
${stepFields('step', form)}
<div class="actions"><button type="submit">Save step</button><a class="button secondary" href="${processPath(process.id)}">Cancel</a></div>
</form>
</section>`;
    return renderPage(request, { title: `Step ${step.name}`, body, section: '/processes' });
  };

  app.post<SP>('/processes/:id/steps/:stepId', { schema: { params: stepParams }, config: { returnTo: (r) => processPath((r.params as { id: string }).id) } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const step = await ownStep(request, process, request.params.stepId);
    const { form, input } = readStepForm(request.form);
    if (input) {
      try {
        await processes.updateStep(await workspace(request), step.id, input, actor(request));
        reply.notice(`Saved the step “${input.name.trim()}”.`);
        return seeOther(reply, processPath(process.id));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        applyErrors(form, error.errors);
      }
    }
    return sendPage(reply, stepPage(request, process, step, form), { status: 422 });
  });

  app.post<SP>('/processes/:id/steps/:stepId/move', { schema: { params: stepParams }, config: { returnTo: (r) => processPath((r.params as { id: string }).id) } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const step = await ownStep(request, process, request.params.stepId);
    const position = Number(request.form.position);
    if (!Number.isInteger(position)) throw new PageError(400, 'Choose where the step goes.', 'Invalid request');
    try {
      await processes.updateStep(await workspace(request), step.id, { position }, actor(request));
    } catch (error) {
      if (error instanceof ValidationError) throw new PageError(400, 'The step cannot go there.', 'Invalid request');
      throw error;
    }
    return seeOther(reply, processPath(process.id));
  });

  app.get<SP>('/processes/:id/steps/:stepId/delete', { schema: { params: stepParams } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const step = await ownStep(request, process, request.params.stepId);
    const body = confirmCard({
      heading: `Delete the step “${step.name}”?`,
      explanation: html`<p>The next runs of ${process.name} will not have it. Runs under way keep their own copy of every step.</p>`,
      action: processPath(process.id, `/steps/${step.id}/delete`),
      csrfToken: me(request).session.csrfToken,
      button: 'Delete step',
      cancelHref: processPath(process.id),
    });
    return sendPage(reply, renderPage(request, { title: `Delete ${step.name}`, body, section: '/processes', narrow: true }));
  });

  app.post<SP>('/processes/:id/steps/:stepId/delete', { schema: { params: stepParams }, config: { returnTo: (r) => processPath((r.params as { id: string }).id) } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const step = await ownStep(request, process, request.params.stepId);
    await processes.deleteStep(await workspace(request), step.id, actor(request));
    reply.notice(`Deleted the step “${step.name}”.`);
    return seeOther(reply, processPath(process.id));
  });

  app.post<P>('/processes/:id/run', { schema: { params }, config: { returnTo: (r) => processPath((r.params as { id: string }).id) } }, async (request, reply) => {
    const process = await ownProcess(request, request.params.id);
    const text = (request.form.data ?? '').slice(0, 300_000);
    let data: unknown;
    try {
      data = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return sendPage(reply, await processPage(request, process, { data: text, dataError: 'This is not JSON. Write an object, such as {"month": "2026-11"}.' }), { status: 422 });
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return sendPage(reply, await processPage(request, process, { data: text, dataError: 'The data must be a JSON object, in braces.' }), { status: 422 });
    }
    try {
      const run = await runs.create(await workspace(request), process.id, { data: data as Record<string, unknown>, start: true }, actor(request));
      return seeOther(reply, runPath(run.id));
    } catch (error) {
      if (error instanceof ValidationError) return sendPage(reply, await processPage(request, process, { data: text, dataError: error.errors.map((e) => `${e.field} ${e.message}`).join('; ') }), { status: 422 });
      throw error;
    }
  });
}
