// The audit log: services record what they did (AuditLog.record, with the
// AuditContext their front end built), and admins read it back: the portal's
// /admin/audit page, its JSON-lines export and `gatehouse audit list`.
//
// Recording never fails, nor holds up, the action it describes: a row that
// cannot be written is logged as a warning and the action goes on. Inside
// the action's own transaction the row lands with it or not at all (the
// store keeps a failed insert from spoiling that transaction); otherwise it
// is one plain insert after the action.
import type { Store } from '../store/store.ts';
import { isoTime, newSortableId } from '../ids.ts';
import { normalizeEmail } from '../user/email.ts';
import type { AuditAction, AuditContext, AuditDetail, AuditEvent, AuditFilter, AuditPage, AuditTarget } from './audit-event.ts';
import { toAuditJson } from './audit-json.ts';

export const MAX_AUDIT_PAGE = 100;
const DAY_MS = 86_400_000;
/** Rows read per query while exporting. */
const EXPORT_BATCH = 500;

export interface AuditWarnings {
  warn(details: object, message: string): void;
}

export class AuditLog {
  readonly #store: Store;
  readonly #retentionMs: number;
  readonly #log: AuditWarnings;

  constructor(deps: { store: Store; retentionDays: number; log: AuditWarnings }) {
    this.#store = deps.store;
    this.#retentionMs = deps.retentionDays * DAY_MS;
    this.#log = deps.log;
  }

  /**
   * Records `action`. Pass `tx` when the action runs in a transaction: the
   * row is then written in it. Resolves in every case; a failure is logged.
   */
  async record(context: AuditContext, action: AuditAction, target: AuditTarget | null, detail: AuditDetail = {}, tx: Store = this.#store): Promise<void> {
    try {
      await tx.auditEvents.insert({
        id: newSortableId('au-'),
        at: isoTime(Date.now()),
        action,
        actorKind: context.actorKind,
        actorId: context.actorId,
        clientId: context.clientId ?? null,
        targetType: target?.type ?? null,
        targetId: target?.id ?? null,
        ip: context.ip,
        requestId: context.requestId,
        detail,
      });
    } catch (error) {
      this.#log.warn({ err: error, action, requestId: context?.requestId ?? null }, 'the audit log could not record an action');
    }
  }

  /** Records a rotation: `kid` is the new key (signing after its publish delay), `previousKid` the one it replaces. */
  keyRotated(context: AuditContext, kid: string, previousKid: string | null): Promise<void> {
    return this.record(context, 'key.rotated', { type: 'key', id: kid }, { previous_kid: previousKid });
  }

  /** Newest first. `after` is a page's nextCursor. */
  list(filter: AuditFilter, limit: number, after: string | null): Promise<AuditPage> {
    return this.#store.auditEvents.list(filter, Math.min(Math.max(limit, 1), MAX_AUDIT_PAGE), after);
  }

  /** Every matching event, newest first, read a batch at a time so that a year of them never sits in memory. */
  async *events(filter: AuditFilter): AsyncGenerator<AuditEvent> {
    let after: string | null = null;
    do {
      const page: AuditPage = await this.#store.auditEvents.list(filter, EXPORT_BATCH, after);
      yield* page.items;
      after = page.nextCursor;
    } while (after !== null);
  }

  /** The export: every matching event as a line of JSON, newest first. */
  async *exportLines(filter: AuditFilter): AsyncGenerator<string> {
    for await (const event of this.events(filter)) yield `${JSON.stringify(toAuditJson(event))}\n`;
  }

  /**
   * The actor id an admin means: the id of the user with that email, or the
   * text itself as an id (a user, client or operator login). An unknown
   * email stays as typed, which matches nothing.
   */
  async actorIdOf(actor: string): Promise<string> {
    if (!actor.includes('@')) return actor;
    return (await this.#store.users.findByEmail(normalizeEmail(actor)))?.id ?? actor;
  }

  /** The emails of the users these events name (as actor or target), for people to read. */
  async userEmails(events: AuditEvent[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const e of events) {
      if (e.actorKind === 'user' && e.actorId) ids.add(e.actorId);
      if (e.targetType === 'user' && e.targetId) ids.add(e.targetId);
    }
    const emails = new Map<string, string>();
    await Promise.all([...ids].map(async (id) => {
      const user = await this.#store.users.findById(id);
      if (user) emails.set(id, user.email);
    }));
    return emails;
  }

  /** The instant before which events are past retention (GATEHOUSE_AUDIT_RETENTION_DAYS): the janitor purges older ones. */
  cutoff(nowMs: number = Date.now()): string {
    return isoTime(nowMs - this.#retentionMs);
  }
}
