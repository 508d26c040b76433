// AuditRepository on Kysely.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditEventsTable, Database } from '../schema.ts';
import type { Dialect } from '../connect.ts';
import type { ActorKind, AuditAction, AuditDetail, AuditEvent, AuditFilter, AuditPage, AuditRepository, TargetType } from '../../audit/audit-event.ts';

const toEvent = (row: Selectable<AuditEventsTable>): AuditEvent => ({
  id: row.id,
  at: row.at,
  action: row.action as AuditAction,
  actorKind: row.actor_kind as ActorKind,
  actorId: row.actor_id,
  clientId: row.client_id,
  targetType: row.target_type as TargetType | null,
  targetId: row.target_id,
  ip: row.ip,
  requestId: row.request_id,
  detail: JSON.parse(row.detail) as AuditDetail,
});

export class AuditEvents implements AuditRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async insert(e: AuditEvent): Promise<void> {
    const insert = this.#db.insertInto('audit_events').values({
      id: e.id, at: e.at, action: e.action, actor_kind: e.actorKind, actor_id: e.actorId, client_id: e.clientId,
      target_type: e.targetType, target_id: e.targetId, ip: e.ip, request_id: e.requestId, detail: JSON.stringify(e.detail),
    });
    // PostgreSQL aborts the whole transaction on a failed statement, so inside
    // the action's transaction the row goes under a savepoint: if it fails,
    // it alone is undone and the action still commits. (SQLite undoes a
    // failed statement alone anyway.)
    if (!this.#db.isTransaction || this.#dialect !== 'postgres') {
      await insert.execute();
      return;
    }
    await sql`savepoint audit_event`.execute(this.#db);
    try {
      await insert.execute();
    } catch (error) {
      await sql`rollback to savepoint audit_event`.execute(this.#db);
      throw error;
    } finally {
      await sql`release savepoint audit_event`.execute(this.#db);
    }
  }

  async list(filter: AuditFilter, limit: number, after: string | null): Promise<AuditPage> {
    let query = this.#db.selectFrom('audit_events').selectAll();
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
    if (filter.from) query = query.where('at', '>=', filter.from);
    if (filter.to) query = query.where('at', '<', filter.to);
    if (after !== null) query = query.where('id', '<', after);
    // Ids begin with their time (ids.ts newSortableId): by id descending is newest first.
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toEvent);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }

  async purgeOlderThan(cutoffIso: string, batch: number): Promise<number> {
    const result = await this.#db.deleteFrom('audit_events').where('id', 'in', (eb) =>
      eb.selectFrom('audit_events').select('id').where('at', '<', cutoffIso).orderBy('at').limit(batch)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
