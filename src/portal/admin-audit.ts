// /admin/audit: admins read the audit log, newest first, filtered by action,
// actor (an email or an id) and dates (UTC days, both ends included), and
// download what the filters select as JSON lines (/admin/audit/export).
// Everyone else gets the 404 page, as on every admin page.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { AUDIT_ACTIONS, isAuditAction, type AuditEvent, type AuditFilter } from '../audit/audit-event.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { PageError } from '../web/error-page.ts';
import { html, type Html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { sendPage } from '../web/respond.ts';

const PATH = '/admin/audit';
const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

interface AuditQuery {
  action?: string;
  actor?: string;
  from?: string;
  to?: string;
  cursor?: string;
}

const DATE = '^(\\d{4}-\\d{2}-\\d{2})?$';
const filterProperties = {
  action: { type: 'string', enum: ['', ...AUDIT_ACTIONS] },
  actor: { type: 'string', maxLength: 254 },
  from: { type: 'string', pattern: DATE },
  to: { type: 'string', pattern: DATE },
} as const;
const exportSchema = { querystring: { type: 'object', properties: filterProperties } };
const pageSchema = { querystring: { type: 'object', properties: { ...filterProperties, cursor: { type: 'string', pattern: '^au-[a-z0-9]{1,64}$' } } } };

/** Midnight UTC starting `date` (YYYY-MM-DD), `days` later; a 400 page for a day that does not exist. */
function dayStart(date: string, days = 0): string {
  const ms = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new PageError(400, `There is no day ${date}. Enter dates as YYYY-MM-DD.`, 'Invalid request');
  }
  return new Date(ms + days * DAY_MS).toISOString();
}

async function filterOf(query: AuditQuery, audit: AuditLog): Promise<AuditFilter> {
  const filter: AuditFilter = {};
  if (query.action && isAuditAction(query.action)) filter.action = query.action;
  const actor = query.actor?.trim();
  if (actor) filter.actorId = await audit.actorIdOf(actor);
  if (query.from) filter.from = dayStart(query.from);
  if (query.to) filter.to = dayStart(query.to, 1);
  return filter;
}

/** The query string of the filters (without the cursor): for the export link and the next page. */
function filterQuery(query: AuditQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of ['action', 'actor', 'from', 'to'] as const) {
    const value = query[name]?.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function actorOf(event: AuditEvent, emails: Map<string, string>): Html {
  const id = event.actorId;
  const via = event.clientId && event.actorKind === 'user' ? html`<br><span class="muted small">through app <code>${event.clientId}</code></span>` : '';
  switch (event.actorKind) {
    case 'user': return html`${(id && emails.get(id)) ?? id ?? 'a user'}${via}`;
    case 'client': return html`app <code>${id ?? event.clientId ?? '?'}</code>`;
    case 'operator': return html`operator (CLI)${id ? html` <span class="muted">${id}</span>` : ''}`;
    case 'anonymous': return html`<span class="muted">not signed in</span>`;
    case 'system': return html`Gatehouse`;
  }
}

function targetOf(event: AuditEvent, emails: Map<string, string>): Html | string {
  if (!event.targetType || !event.targetId) return html`<span class="muted">—</span>`;
  if (event.targetType === 'user') return emails.get(event.targetId) ?? event.targetId;
  return html`${event.targetType} <code>${event.targetId}</code>`;
}

function detailOf(event: AuditEvent): string {
  const facts = Object.entries(event.detail).map(([key, value]) => `${key.replaceAll('_', ' ')}: ${Array.isArray(value) ? value.join(' ') || '—' : String(value)}`);
  return facts.join('; ') || '—';
}

// At 390 px each cell is a flex box beside its label: a cell of several parts wraps them in one <div>.
function eventsTable(events: AuditEvent[], emails: Map<string, string>): Html {
  if (events.length === 0) return html`<p class="muted">No events match these filters.</p>`;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="events-heading">
<table class="stack audit">
<thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Details</th><th scope="col">From</th></tr></thead>
<tbody>${events.map((e) => html`<tr>
<th scope="row" data-label="When"><time datetime="${e.at}">${e.at.slice(0, 10)} <span class="muted">${e.at.slice(11, 19)}</span></time></th>
<td data-label="Action"><code>${e.action}</code></td>
<td data-label="Actor"><div>${actorOf(e, emails)}</div></td>
<td data-label="Target"><div>${targetOf(e, emails)}</div></td>
<td data-label="Details">${detailOf(e)}</td>
<td data-label="From"><div>${e.ip ?? '—'}${e.requestId ? html`<br><span class="muted small">request <code>${e.requestId}</code></span>` : ''}</div></td>
</tr>`)}</tbody>
</table>
</div>`;
}

function filterForm(query: AuditQuery): Html {
  const field = (name: 'actor' | 'from' | 'to', label: string, type: string, hint = '') => html`<div>
<label for="audit-${name}">${label}</label>
<input type="${type}" id="audit-${name}" name="${name}" value="${query[name] ?? ''}"${hint ? html` placeholder="${hint}"` : ''}${type === 'text' ? html` maxlength="254" spellcheck="false"` : ''}>
</div>`;
  return html`<form method="get" action="${PATH}" class="audit-filters">
<div class="inline-fields">
<div>
<label for="audit-action">Action</label>
<select id="audit-action" name="action">
<option value="">All actions</option>
${AUDIT_ACTIONS.map((a) => html`<option value="${a}"${a === query.action ? html` selected` : ''}>${a}</option>`)}
</select>
</div>
${field('actor', 'Actor (email or id)', 'text', 'name@example.com')}
${field('from', 'From (UTC)', 'date')}
${field('to', 'To (UTC)', 'date')}
</div>
<div class="actions"><button type="submit">Filter</button><a class="button secondary" href="${PATH}">Clear</a></div>
</form>`;
}

function auditPage(request: FastifyRequest, query: AuditQuery, events: AuditEvent[], emails: Map<string, string>, nextCursor: string | null, retentionDays: number): string {
  const filters = filterQuery(query);
  const exportHref = `${PATH}/export${filters.size > 0 ? `?${filters}` : ''}`;
  if (nextCursor) filters.set('cursor', nextCursor);
  const body = html`<div class="page-head row">
<div><h1>Audit log</h1>
<p class="muted">Sign-ins, password changes, applications, tokens, consents, admin actions and run decisions, newest first. Kept for ${retentionDays} days.</p></div>
<a class="button secondary" href="${exportHref}" download>Export JSON lines</a>
</div>
<section class="card" aria-labelledby="filters-heading">
<h2 id="filters-heading">Filters</h2>
${filterForm(query)}
</section>
<section class="card" aria-labelledby="events-heading">
<h2 id="events-heading">Events</h2>
${eventsTable(events, emails)}
${nextCursor ? html`<p><a href="${`${PATH}?${filters}`}">Older events →</a></p>` : ''}
</section>`;
  return renderPage(request, { title: 'Audit log', body, section: PATH });
}

export function adminAuditPages(app: FastifyInstance, services: Services): void {
  const { audit, config } = services;
  const admin = { access: 'admin' as const };

  app.get<{ Querystring: AuditQuery }>(PATH, { config: admin, schema: pageSchema }, async (request, reply) => {
    const page = await audit.list(await filterOf(request.query, audit), PAGE_SIZE, request.query.cursor ?? null);
    const emails = await audit.userEmails(page.items);
    return sendPage(reply, auditPage(request, request.query, page.items, emails, page.nextCursor, config.auditRetentionDays));
  });

  // A download, not a page: newline-delimited JSON, streamed a batch at a time.
  app.get<{ Querystring: AuditQuery }>(`${PATH}/export`, { config: admin, schema: exportSchema }, async (request, reply) => {
    const lines = audit.exportLines(await filterOf(request.query, audit));
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-disposition': `attachment; filename="gatehouse-audit-${day}.jsonl"` })
      .send(Readable.from(lines));
  });
}
