// Who acts through the API, for the audit log: the user behind a personal
// access token or an app's user token (with the app), or a client acting
// for itself; with the request's address and id.
import type { FastifyRequest } from 'fastify';
import type { AuditContext } from '../audit/audit-event.ts';
import { principalOf } from './credential.ts';

export function apiAuditContext(request: FastifyRequest): AuditContext {
  const principal = principalOf(request);
  const where = { ip: request.ip, requestId: request.id };
  if (principal.kind === 'pat') return { actorKind: 'user', actorId: principal.subject, clientId: null, ...where };
  if (principal.subject === principal.clientId) return { actorKind: 'client', actorId: principal.clientId, clientId: principal.clientId, ...where };
  return { actorKind: 'user', actorId: principal.subject, clientId: principal.clientId, ...where };
}
