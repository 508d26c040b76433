// `gatehouse audit list`: the audit log for an operator, newest first; with
// --json one JSON object per line (the portal's export format), for jq or a
// log shipper.
import type { Command } from '../command.ts';
import { parse, UsageError } from '../command.ts';
import { AUDIT_ACTIONS, isAuditAction, type AuditEvent, type AuditFilter } from '../../audit/audit-event.ts';
import { toAuditJson } from '../../audit/audit-json.ts';

const MAX_LIMIT = 100_000;

function instant(option: string, value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${option} must be an ISO-8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z`);
  return new Date(ms).toISOString();
}

const line = (e: AuditEvent) => [e.at, e.action, `${e.actorKind}${e.actorId ? `:${e.actorId}` : ''}`, e.targetType ? `${e.targetType}:${e.targetId}` : '-', e.ip ?? '-', e.requestId ?? '-'].join('  ');

export const auditList: Command = {
  name: 'audit list',
  usage: 'audit list [--action A] [--actor EMAIL|ID] [--since ISO] [--until ISO] [--limit N] [--json]',
  async run(args, context) {
    const { values } = parse(args, { action: { type: 'string' }, actor: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' } });
    if (values.action !== undefined && !isAuditAction(values.action)) throw new UsageError(`--action must be one of ${AUDIT_ACTIONS.join(', ')}`);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
    const filter: AuditFilter = {};
    if (values.action !== undefined && isAuditAction(values.action)) filter.action = values.action;
    if (values.since !== undefined) filter.from = instant('since', values.since);
    if (values.until !== undefined) filter.to = instant('until', values.until);
    const { audit } = await context.services();
    if (values.actor !== undefined) filter.actorId = await audit.actorIdOf(values.actor.trim());
    let shown = 0;
    for await (const event of audit.events(filter)) {
      context.out(values.json ? JSON.stringify(toAuditJson(event)) : line(event));
      if (++shown === limit) break;
    }
    if (shown === 0 && !values.json) context.out('No events.');
  },
};
