// Who acts on a page, for the audit log: the signed-in user, or a visitor
// who is not signed in (sign-in, set-up, a reset link), with the request's
// address and id. Services get this, never the request itself.
import type { FastifyRequest } from 'fastify';
import type { AuditContext } from '../audit/audit-event.ts';

export function pageAuditContext(request: FastifyRequest): AuditContext & { ip: string } {
  const user = request.signedIn?.user;
  return { actorKind: user ? 'user' : 'anonymous', actorId: user?.id ?? null, ip: request.ip, requestId: request.id };
}
