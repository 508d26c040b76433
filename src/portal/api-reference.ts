// /docs/api: the API reference, rendered on the server from the OpenAPI
// document the routes themselves make (api/openapi.ts), so it is always the
// server's truth. Our own page rather than a JavaScript renderer: it needs no
// script, so it lives under the portal's strict CSP like every other page.
import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { sendPage } from '../web/respond.ts';
import { OPENAPI_PATH } from '../api/openapi.ts';

interface Schema {
  type?: string | string[];
  $ref?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  default?: unknown;
  format?: string;
}

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Schema; description?: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: Array<Record<string, string[]>>;
}

interface Document {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  tags?: Array<{ name: string }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const refName = (ref: string) => ref.replace(/^#\/components\/schemas\//, '');

/** A short type for a schema: "string", "integer ≥ 1", "ProcessRun", "array of Step". */
function typeOf(schema: Schema | undefined): Html {
  if (!schema) return html`<span class="muted">—</span>`;
  if (schema.$ref) return html`<a href="#schema-${refName(schema.$ref)}"><code>${refName(schema.$ref)}</code></a>`;
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (schema.enum) return html`<code>${schema.enum.map(String).join(' | ')}</code>`;
  if (type === 'array') return html`array of ${typeOf(schema.items)}`;
  const limits = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : '', schema.maxLength ? `≤ ${schema.maxLength} chars` : ''].filter(Boolean).join(', ');
  return html`<code>${type}</code>${schema.format ? html` <span class="muted">(${schema.format})</span>` : ''}${limits ? html` <span class="muted">${limits}</span>` : ''}`;
}

function fieldsTable(caption: string, rows: Array<{ name: string; required: boolean; schema?: Schema; description?: string }>): Html {
  if (rows.length === 0) return html``;
  return html`<div class="table-wrap"><table class="stack reference">
<caption>${caption}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">About</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row" data-label="Name"><code>${r.name}</code></th><td data-label="Type">${typeOf(r.schema)}</td><td data-label="Required">${r.required ? 'yes' : 'no'}</td><td data-label="About">${r.description ?? r.schema?.description ?? ''}${r.schema?.default !== undefined ? html` <span class="muted">Default ${JSON.stringify(r.schema.default)}.</span>` : ''}</td></tr>`)}</tbody>
</table></div>`;
}

function operation(method: string, path: string, op: Operation): Html {
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
  const scopes = [...new Set((op.security ?? []).flatMap((s) => Object.values(s).flat()))];
  const body = op.requestBody?.content?.['application/json']?.schema;
  const bodyFields = body?.properties ? Object.entries(body.properties).map(([name, schema]) => ({ name, required: body.required?.includes(name) ?? false, schema })) : [];
  return html`<article class="operation" id="${id}">
<h3><span class="method method-${method}">${method.toUpperCase()}</span> <code>${path}</code></h3>
${op.summary ? html`<p>${op.summary}</p>` : ''}
<p class="muted small">${scopes.length > 0 ? html`Needs the scope ${scopes.map((s, i) => html`${i > 0 ? ' or a broader one, ' : ''}<code>${s}</code>`)} (an OAuth access token or a personal access token).` : 'Needs a user\u2019s token: a personal access token, or a first-party app\u2019s.'}</p>
${fieldsTable('Parameters', (op.parameters ?? []).map((p) => ({ name: `${p.name} (${p.in})`, required: p.required ?? false, schema: p.schema, description: p.description })))}
${fieldsTable('Request body (JSON)', bodyFields)}
<dl class="responses">${Object.entries(op.responses ?? {}).map(([status, response]) => html`<dt><code>${status}</code></dt><dd>${typeOf(response.content?.['application/json']?.schema)} <span class="muted">${response.description ?? ''}</span></dd>`)}</dl>
</article>`;
}

export function apiReferencePage(app: FastifyInstance): void {
  app.get('/docs/api', async (request, reply) => {
    const doc = app.swagger() as unknown as Document & { components?: { schemas?: Record<string, Schema> } };
    const byTag = new Map<string, Array<[string, string, Operation]>>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = methods[method];
        if (!op) continue;
        const tag = op.tags?.[0] ?? 'Other';
        byTag.set(tag, [...(byTag.get(tag) ?? []), [method, path, op]]);
      }
    }
    const tags = [...(doc.tags ?? []).map((t) => t.name).filter((t) => byTag.has(t)), ...[...byTag.keys()].filter((t) => !(doc.tags ?? []).some((d) => d.name === t))];
    const schemas = Object.entries(doc.components?.schemas ?? {});
    const body = html`<div class="page-head">
<h1>API reference</h1>
<p class="muted">${doc.info.description ?? ''} Generated from this server's <a href="${OPENAPI_PATH}">OpenAPI 3.1 document</a>, which you can load into any OpenAPI tool.</p>
</div>
<nav class="card toc" aria-label="API sections"><ul>${tags.map((t) => html`<li><a href="#tag-${t.replace(/\s+/g, '-')}">${t}</a> <span class="muted">(${byTag.get(t)!.length})</span></li>`)}<li><a href="#schemas">Schemas</a></li></ul></nav>
${tags.map((tag) => html`<section class="card" aria-labelledby="tag-${tag.replace(/\s+/g, '-')}">
<h2 id="tag-${tag.replace(/\s+/g, '-')}">${tag}</h2>
${byTag.get(tag)!.map(([method, path, op]) => operation(method, path, op))}
</section>`)}
<section class="card" aria-labelledby="schemas">
<h2 id="schemas">Schemas</h2>
${schemas.map(([name, schema]) => html`<article class="operation" id="schema-${name}"><h3><code>${name}</code></h3>
${schema.description ? html`<p>${schema.description}</p>` : ''}
${fieldsTable(`Fields of ${name}`, Object.entries(schema.properties ?? {}).map(([field, s]) => ({ name: field, required: schema.required?.includes(field) ?? false, schema: s })))}
</article>`)}
</section>`;
    return sendPage(reply, renderPage(request, { title: 'API reference', body, section: '/docs' }));
  });
}
