// The audit log's entity: one row per security-relevant action, saying who
// did what to which target, when, from which address and in which request;
// and the repository the store implements for it. A row never holds a
// secret: no password, token, client secret, code or reset link, only ids,
// names and facts about them (scopes, expiry, whether a link was mailed).

/** Every action the log knows; the name is what filters and exports show. */
export const AUDIT_ACTIONS = [
  'sign_in.succeeded',
  'sign_in.failed',
  'password.changed',
  'password.reset_issued',
  'password.reset_completed',
  'user.registered',
  'user.disabled',
  'user.enabled',
  'client.created',
  'client.updated',
  'client.secret_rotated',
  'client.deleted',
  /** Dynamic client registration (RFC 7591), which does not exist yet: reserved for it. */
  'client.registered',
  'pat.created',
  'pat.revoked',
  'consent.granted',
  'consent.revoked',
  /** A signing key rotated in (AuditLog.keyRotated), by the schedule or `gatehouse keys rotate`. */
  'key.rotated',
  'run.approved',
  'run.rejected',
  'run.cancelled',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const isAuditAction = (value: string): value is AuditAction => (AUDIT_ACTIONS as readonly string[]).includes(value);

/**
 * Who acts: a signed-in user (or a user through an app's token or a PAT), an
 * OAuth client for itself, the operator's CLI, someone not signed in (a
 * failed sign-in, a reset link), or the server on its own (a scheduled job).
 */
export type ActorKind = 'user' | 'client' | 'operator' | 'anonymous' | 'system';

/**
 * Who is acting and where the request came from, built by the front end that
 * received it (pages, API, CLI) and passed down to the service that acts.
 */
export interface AuditContext {
  actorKind: ActorKind;
  /** A user id, or a client id when a client acts for itself; the OS login for the operator; null if unknown. */
  actorId: string | null;
  /** The OAuth client the actor acted through (an app's token, the password grant); null otherwise. */
  clientId?: string | null;
  /** The client's address (request.ip); null from the CLI. */
  ip: string | null;
  /** The request's id (the x-request-id response header); null from the CLI. */
  requestId: string | null;
}

/** The server acting on its own, e.g. a scheduled key rotation. */
export const SYSTEM: AuditContext = { actorKind: 'system', actorId: null, ip: null, requestId: null };

export type TargetType = 'user' | 'client' | 'pat' | 'run' | 'key';

export interface AuditTarget {
  type: TargetType;
  id: string;
}

/** Facts about the action, never secrets: names, scopes, reasons, flags. */
export type AuditDetail = Record<string, string | number | boolean | null | string[]>;

export interface AuditEvent {
  /** `au-` + a time-sortable id: by id descending is newest first. */
  id: string;
  at: string;
  action: AuditAction;
  actorKind: ActorKind;
  actorId: string | null;
  clientId: string | null;
  targetType: TargetType | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  detail: AuditDetail;
}

export interface AuditFilter {
  action?: AuditAction;
  actorId?: string;
  /** Events at or after this instant (ISO-8601). */
  from?: string;
  /** Events before this instant (ISO-8601). */
  to?: string;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass as `after` for the next (older) page; null on the last. */
  nextCursor: string | null;
}

export interface AuditRepository {
  insert(event: AuditEvent): Promise<void>;
  /** Newest first, `limit` at most, older than the event `after` when given. */
  list(filter: AuditFilter, limit: number, after: string | null): Promise<AuditPage>;
  /**
   * Deletes at most `batch` events from before `cutoffIso`, oldest first, in
   * one statement; returns how many went. Call again while it returns `batch`.
   */
  purgeOlderThan(cutoffIso: string, batch: number): Promise<number>;
}
