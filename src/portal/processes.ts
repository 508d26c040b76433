// /processes: the processes of the user's workspace, with their ids (what
// scripts pass to GET /api/v1/processes/{id}), and a form to create one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import type { Process } from '../process/process.ts';
import { ValidationError } from '../errors.ts';
import { MAX_PAGE_SIZE } from '../process/process-service.ts';
import { html, type Html } from '../web/html.ts';
import { me, renderPage } from '../web/page-layer.ts';
import { seeOther, sendPage } from '../web/respond.ts';
import { COPY_SCRIPT_TAG, copyButton, dateOf, fieldError, invalidAttrs } from '../web/widgets.ts';

const PATH = '/processes';

interface FormState {
  name: string;
  description: string;
  errors: { name?: string; description?: string };
}

const emptyForm = (): FormState => ({ name: '', description: '', errors: {} });

function processRow(process: Process, i: number): Html {
  return html`<tr>
<th scope="row" data-label="Name"><a href="/processes/${encodeURIComponent(process.id)}">${process.name}</a>${process.description ? html`<p class="hint">${process.description}</p>` : ''}</th>
<td data-label="Process ID"><div class="copy-row"><code id="process-id-${i}">${process.id}</code>${copyButton(`process-id-${i}`, `Copy the ID of ${process.name}`)}</div></td>
<td data-label="Changed">${dateOf(process.modifiedAt)}</td>
<td data-label="By">${process.modifiedBy}</td>
</tr>`;
}

function emptyState(issuer: string): Html {
  return html`<div class="card empty-state">
<h2>No processes yet</h2>
<p>A <strong>process</strong> is a piece of automated work, such as a month-end close or a nightly import. Scripts and applications read and run processes through the API, each by its ID.</p>
<p>Create one below. Then call it with a token from <a href="/apps">an application</a> or <a href="/tokens">a personal access token</a>:</p>
<pre class="code" tabindex="0"><code>curl -H "Authorization: Bearer your_access_token" ${issuer}/api/v1/processes/your_process_id</code></pre>
<p><a href="/docs">More examples on the API page</a>.</p>
</div>`;
}

function createForm(csrfToken: string, form: FormState): Html {
  const { errors } = form;
  return html`<section class="card" aria-labelledby="create-heading">
<h2 id="create-heading">Create a process</h2>
${Object.keys(errors).length > 0 ? html`<p class="error" role="alert">The process was not created. Check the fields marked below.</p>` : ''}
<form method="post" action="${PATH}">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<label for="process-name">Name</label>
<input type="text" id="process-name" name="name" value="${form.name}" maxlength="200" required${invalidAttrs('process-name-error', errors.name)}>
${fieldError('process-name-error', errors.name)}
<label for="process-description">Description <span class="muted">(optional)</span></label>
<textarea id="process-description" name="description" rows="2" maxlength="5000"${invalidAttrs('process-description-error', errors.description)}>${form.description}</textarea>
${fieldError('process-description-error', errors.description)}
<div class="actions"><button type="submit">Create process</button></div>
</form>
</section>`;
}

export function processListPages(app: FastifyInstance, services: Services): void {
  const { processes, users } = services;
  const issuer = services.config.issuer;

  const listPage = async (request: FastifyRequest, after: string | null, form: FormState = emptyForm()): Promise<string> => {
    const { user, session } = me(request);
    const page = await processes.list(await users.workspaceOf(user.id), MAX_PAGE_SIZE, after);
    const body = html`<div class="page-head">
<h1>Processes</h1>
<p class="muted">The processes of your workspace. Scripts call them by their ID.</p>
</div>
${page.items.length === 0 && after === null ? emptyState(issuer) : html`<section class="card" aria-labelledby="list-heading">
<h2 id="list-heading" class="visually-hidden">Your processes</h2>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="list-heading">
<table class="stack">
<thead><tr><th scope="col">Name</th><th scope="col">Process ID</th><th scope="col">Changed</th><th scope="col">By</th></tr></thead>
<tbody>${page.items.map(processRow)}</tbody>
</table>
</div>
${page.nextCursor ? html`<p><a href="${PATH}?after=${encodeURIComponent(page.nextCursor)}">Next page →</a></p>` : ''}
</section>`}
${createForm(session.csrfToken, form)}
${COPY_SCRIPT_TAG}`;
    return renderPage(request, { title: 'Processes', body, section: PATH });
  };

  app.get<{ Querystring: { after?: string } }>(PATH, {
    schema: { querystring: { type: 'object', properties: { after: { type: 'string', pattern: '^p-[a-z0-9]{1,64}$' } } } },
  }, async (request, reply) => sendPage(reply, await listPage(request, request.query.after ?? null)));

  app.post(PATH, async (request, reply) => {
    const { user } = me(request);
    const fields = request.form;
    const form: FormState = { name: (fields.name ?? '').slice(0, 1000), description: (fields.description ?? '').slice(0, 10_000), errors: {} };
    try {
      const process = await processes.create(await users.workspaceOf(user.id), { name: form.name, description: form.description }, user.email);
      reply.notice(`Created “${process.name}”, ID ${process.id}.`);
      return seeOther(reply, PATH);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const e of error.errors) {
        if (e.field === 'name') form.errors.name = 'Enter a name of 1 to 200 characters.';
        if (e.field === 'description') form.errors.description = 'Use at most 5,000 characters.';
      }
      return sendPage(reply, await listPage(request, null, form), { status: 422 });
    }
  });
}
