// An audit event as the export, the CLI and anything else outside shows it:
// flat snake_case fields, one JSON object per line in the export.
import type { AuditEvent } from './audit-event.ts';

export function toAuditJson(event: AuditEvent) {
  return {
    id: event.id,
    at: event.at,
    action: event.action,
    actor_kind: event.actorKind,
    actor_id: event.actorId,
    client_id: event.clientId,
    target_type: event.targetType,
    target_id: event.targetId,
    ip: event.ip,
    request_id: event.requestId,
    detail: event.detail,
  };
}
