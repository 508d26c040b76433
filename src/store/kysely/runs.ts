// RunRepository on Kysely: runs, their step runs, events and signals. The
// claim is one statement on both dialects; on PostgreSQL its subquery locks
// with FOR UPDATE SKIP LOCKED, so nodes claiming at once never take the same
// run and never wait for each other.
//
// A worker's commit (the engine's hot path) is one statement on PostgreSQL:
// the fenced update of the run, and, gated on it, the step runs, events and
// webhook messages, each from a JSON parameter. As a transaction of single
// statements it took five round trips (BEGIN … COMMIT), and the engine
// drained 0.7k runs/s; see bench/engine.ts. SQLite, in process, keeps the
// transaction.
import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, ProcessRunsTable, RunEventsTable, StepRunsTable } from '../schema.ts';
import type { Dialect } from '../connect.ts';
import type { ClaimedRun, LeasedWrite, NewRunEvent, Run, RunEvent, RunFence, RunPage, RunRepository, RunSignal, RunStatus, StepRun, StepStatus } from '../../runs/run.ts';
import { messageRow } from './webhooks.ts';
import { definitionColumns, definitionOf } from './columns.ts';
import { SERVER_PREPARED } from '../prepared.ts';

const object = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

const toRun = (row: Selectable<ProcessRunsTable>): Run => ({
  id: row.id,
  processId: row.process_id,
  workspaceId: row.workspace_id,
  name: row.name,
  status: row.status as RunStatus,
  input: object(row.input),
  data: object(row.data),
  createdBy: row.created_by,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  dueAt: row.due_at,
  leaseOwner: row.lease_owner,
  leaseExpiresAt: row.lease_expires_at,
});

const runRow = (run: Run) => ({
  id: run.id,
  process_id: run.processId,
  workspace_id: run.workspaceId,
  name: run.name,
  status: run.status,
  input: JSON.stringify(run.input),
  data: JSON.stringify(run.data),
  created_by: run.createdBy,
  created_at: run.createdAt,
  started_at: run.startedAt,
  finished_at: run.finishedAt,
  due_at: run.dueAt,
  lease_owner: run.leaseOwner,
  lease_expires_at: run.leaseExpiresAt,
});

const toStepRun = (row: Selectable<StepRunsTable>): StepRun => ({
  id: row.id,
  runId: row.run_id,
  stepId: row.step_id,
  ...definitionOf(row),
  status: row.status as StepStatus,
  attempts: Number(row.attempts),
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  completionMessage: row.completion_message,
  output: row.output === null ? null : JSON.parse(row.output),
  waitUntil: row.wait_until,
  idempotencyKey: row.idempotency_key,
});

const stepRow = (step: StepRun) => ({
  id: step.id,
  run_id: step.runId,
  step_id: step.stepId,
  ...definitionColumns(step),
  status: step.status,
  attempts: step.attempts,
  started_at: step.startedAt,
  finished_at: step.finishedAt,
  completion_message: step.completionMessage,
  output: step.output === null || step.output === undefined ? null : JSON.stringify(step.output),
  wait_until: step.waitUntil,
  idempotency_key: step.idempotencyKey,
});

/** What a step run's update writes: everything but what the copy of the step fixed at creation. */
const stepUpdateRow = (step: StepRun) => {
  const { id: _id, run_id: _r, step_id: _s, position: _p, name: _n, kind: _k, config: _c, ...row } = stepRow(step);
  return row;
};

const eventRow = (e: NewRunEvent) => ({
  run_id: e.runId,
  workspace_id: e.workspaceId,
  at: e.at,
  type: e.type,
  step_run_id: e.stepRunId,
  step_id: e.stepId,
  attempt: e.attempt,
  message: e.message,
  data: e.data === null ? null : JSON.stringify(e.data),
});

type ColumnType = 'text' | 'integer';
const STEP_UPDATE_COLUMNS: Record<keyof ReturnType<typeof stepUpdateRow> | 'id', ColumnType> = {
  id: 'text', timeout_seconds: 'integer', retry_max_attempts: 'integer', retry_backoff_seconds: 'integer', status: 'text', attempts: 'integer',
  started_at: 'text', finished_at: 'text', completion_message: 'text', output: 'text', wait_until: 'text', idempotency_key: 'text',
};
const EVENT_COLUMNS: Record<keyof ReturnType<typeof eventRow>, ColumnType> = {
  run_id: 'text', workspace_id: 'text', at: 'text', type: 'text', step_run_id: 'text', step_id: 'text', attempt: 'integer', message: 'text', data: 'text',
};
const MESSAGE_COLUMNS: Record<keyof ReturnType<typeof messageRow>, ColumnType> = {
  id: 'text', workspace_id: 'text', endpoint_id: 'text', event_type: 'text', payload: 'text', created_at: 'text', status: 'text', attempts: 'integer',
  next_attempt_at: 'text', lease_owner: 'text', lease_expires_at: 'text', delivered_at: 'text', last_error: 'text',
};

/** PostgreSQL: rows given as one JSON parameter, as a table `x` with these columns (names are ours, never input). */
function recordset(rows: object[], columns: Record<string, ColumnType>): RawBuilder<unknown> {
  return sql`jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(${sql.raw(Object.entries(columns).map(([name, type]) => `${name} ${type}`).join(', '))})`;
}
const columnList = (columns: Record<string, ColumnType>) => sql.raw(Object.keys(columns).join(', '));

const toEvent = (row: Selectable<RunEventsTable>): RunEvent => ({
  id: Number(row.id),
  runId: row.run_id,
  workspaceId: row.workspace_id,
  at: row.at,
  type: row.type,
  stepRunId: row.step_run_id,
  stepId: row.step_id,
  attempt: row.attempt === null ? null : Number(row.attempt),
  message: row.message,
  data: row.data === null ? null : object(row.data),
});

const ACTIVE: RunStatus[] = ['Scheduled', 'Running'];

export class Runs implements RunRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }
  async insert(run: Run, steps: StepRun[]): Promise<void> {
    await this.#db.insertInto('process_runs').values(runRow(run)).execute();
    if (steps.length > 0) await this.#db.insertInto('step_runs').values(steps.map(stepRow)).execute();
  }
  async find(workspaceId: string, id: string): Promise<Run | undefined> {
    const row = await this.#db.selectFrom('process_runs').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return row && toRun(row);
  }
  async findById(id: string): Promise<Run | undefined> {
    const row = await this.#db.selectFrom('process_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }
  async list(workspaceId: string | null, filter: { processId?: string; status?: RunStatus }, limit: number, after: string | null): Promise<RunPage> {
    let query = this.#db.selectFrom('process_runs').selectAll();
    if (workspaceId !== null) query = query.where('workspace_id', '=', workspaceId);
    if (filter.processId) query = query.where('process_id', '=', filter.processId);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (after !== null) query = query.where('id', '<', after);
    // Run ids grow with time (see ids.ts), so by id descending is newest first.
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toRun);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
  }
  async stepRuns(runId: string): Promise<StepRun[]> {
    const rows = await this.#db.selectFrom('step_runs').selectAll().where('run_id', '=', runId).orderBy('position').execute();
    return rows.map(toStepRun);
  }
  async claim(owner: string, now: string, leaseUntil: string, limit: number): Promise<ClaimedRun[]> {
    if (this.#dialect === 'postgres') return this.#claimInOneStatement(owner, now, leaseUntil, limit);
    const rows = await this.#db.updateTable('process_runs')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil })
      .where('id', 'in', (eb) => eb.selectFrom('process_runs').select('id')
        .where('due_at', '<=', now)
        .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
        .orderBy('due_at').limit(limit))
      .returningAll()
      .execute();
    if (rows.length === 0) return [];
    const steps = await this.#db.selectFrom('step_runs').selectAll().where('run_id', 'in', rows.map((r) => r.id)).orderBy('run_id').orderBy('position').execute();
    return rows.map((row) => ({ run: toRun(row), steps: steps.filter((s) => s.run_id === row.id).map(toStepRun) }));
  }
  /**
   * PostgreSQL: the claim and the step runs in one round trip. `= any(array(…))`
   * and a subquery per run, rather than `in (…)` and a join: with the
   * statistics of a table that has just grown, the planner scanned both
   * tables whole for those.
   */
  async #claimInOneStatement(owner: string, now: string, leaseUntil: string, limit: number): Promise<ClaimedRun[]> {
    const result = await sql<Selectable<ProcessRunsTable> & { steps: Selectable<StepRunsTable>[] | null }>`${sql.raw(SERVER_PREPARED)}with c as (
        update process_runs set lease_owner = ${owner}, lease_expires_at = ${leaseUntil}
        where id = any(array(
          select id from process_runs where due_at <= ${now} and (lease_expires_at is null or lease_expires_at < ${now})
          order by due_at limit ${limit} for update skip locked))
        returning *)
      select c.*, (select json_agg(s order by s.position) from step_runs s where s.run_id = c.id) as steps from c`.execute(this.#db);
    return result.rows.map(({ steps, ...row }) => ({ run: toRun(row), steps: (steps ?? []).map(toStepRun) }));
  }
  async renew(id: string, owner: string, leaseUntil: string): Promise<boolean> {
    const result = await this.#db.updateTable('process_runs').set({ lease_expires_at: leaseUntil })
      .where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async save(run: Run, fence: RunFence): Promise<boolean> {
    const { id: _id, process_id: _p, workspace_id: _w, input: _i, created_by: _c, created_at: _ca, ...row } = runRow(run);
    let query = this.#db.updateTable('process_runs').set(row).where('id', '=', run.id);
    query = 'leaseOwner' in fence ? query.where('lease_owner', '=', fence.leaseOwner) : query.where('status', '=', fence.status);
    return (await query.executeTakeFirst()).numUpdatedRows > 0n;
  }
  async saveStepRun(step: StepRun, expected?: StepStatus): Promise<boolean> {
    let query = this.#db.updateTable('step_runs').set(stepUpdateRow(step)).where('id', '=', step.id);
    if (expected !== undefined) query = query.where('status', '=', expected);
    return (await query.executeTakeFirst()).numUpdatedRows > 0n;
  }
  async appendEvents(events: NewRunEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db.insertInto('run_events').values(events.map(eventRow)).execute();
  }
  async commitLeased(write: LeasedWrite): Promise<boolean> {
    if (this.#dialect === 'postgres') return this.#commitLeasedInOneStatement(write);
    const work = async (db: Kysely<Database>) => {
      const runs = new Runs(db, this.#dialect);
      if (!(await runs.save(write.run, { leaseOwner: write.owner }))) return false;
      for (const step of write.steps) await runs.saveStepRun(step);
      await runs.appendEvents(write.events);
      if (write.messages.length > 0) await db.insertInto('webhook_messages').values(write.messages.map(messageRow)).execute();
      return true;
    };
    return this.#db.isTransaction ? work(this.#db) : this.#db.transaction().execute(work);
  }
  async #commitLeasedInOneStatement({ run, owner, steps, events, messages }: LeasedWrite): Promise<boolean> {
    const { id: _id, process_id: _p, workspace_id: _w, input: _i, created_by: _c, created_at: _ca, ...row } = runRow(run);
    const saved = this.#db.updateTable('process_runs').set(row).where('id', '=', run.id).where('lease_owner', '=', owner).returning('id');
    const parts: RawBuilder<unknown>[] = [sql`r as (${saved})`];
    if (steps.length > 0) {
      // `= any(ids)` so that the planner looks the rows up by key: joined on the
      // JSON alone (100 rows, it guesses) it scanned the whole table.
      const sets = sql.raw(Object.keys(STEP_UPDATE_COLUMNS).filter((c) => c !== 'id').map((c) => `${c} = x.${c}`).join(', '));
      parts.push(sql`s as (update step_runs as t set ${sets} from ${recordset(steps.map((step) => ({ id: step.id, ...stepUpdateRow(step) })), STEP_UPDATE_COLUMNS)}
        where t.id = any(${steps.map((step) => step.id)}::text[]) and t.id = x.id and exists (select 1 from r) returning 1)`);
    }
    if (events.length > 0) {
      parts.push(sql`e as (insert into run_events (${columnList(EVENT_COLUMNS)}) select ${columnList(EVENT_COLUMNS)} from ${recordset(events.map(eventRow), EVENT_COLUMNS)}
        where exists (select 1 from r) returning 1)`);
    }
    if (messages.length > 0) {
      parts.push(sql`m as (insert into webhook_messages (${columnList(MESSAGE_COLUMNS)}) select ${columnList(MESSAGE_COLUMNS)} from ${recordset(messages.map(messageRow), MESSAGE_COLUMNS)}
        where exists (select 1 from r) returning 1)`);
    }
    const result = await sql<{ n: number }>`${sql.raw(SERVER_PREPARED)}with ${sql.join(parts)} select count(*)::int as n from r`.execute(this.#db);
    return Number(result.rows[0]?.n) > 0;
  }
  async events(runId: string, afterId: number, limit: number): Promise<RunEvent[]> {
    const rows = await this.#db.selectFrom('run_events').selectAll().where('run_id', '=', runId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
    return rows.map(toEvent);
  }
  async insertSignal(signal: RunSignal): Promise<void> {
    await this.#db.insertInto('run_signals').values({
      id: signal.id, run_id: signal.runId, step_run_id: signal.stepRunId, kind: signal.kind, comment: signal.comment, decided_by: signal.decidedBy, at: signal.at,
    }).execute();
  }
  async hasActiveRun(processId: string): Promise<boolean> {
    const row = await this.#db.selectFrom('process_runs').select('id').where('process_id', '=', processId).where('status', 'in', ACTIVE).limit(1).executeTakeFirst();
    return row !== undefined;
  }
  async releaseLeases(owner: string | null): Promise<number> {
    let query = this.#db.updateTable('process_runs').set({ lease_owner: null, lease_expires_at: null });
    query = owner === null ? query.where('lease_owner', 'is not', null) : query.where('lease_owner', '=', owner);
    return Number((await query.executeTakeFirst()).numUpdatedRows);
  }
  async countDue(): Promise<number> {
    const row = await this.#db.selectFrom('process_runs').select((eb) => eb.fn.countAll<number>().as('n')).where('due_at', 'is not', null).executeTakeFirstOrThrow();
    return Number(row.n);
  }
  async countByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = await this.#db.selectFrom('process_runs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }
  async countQueued(now: string): Promise<number> {
    // The claim's own condition, on the partial index of due runs.
    const row = await this.#db.selectFrom('process_runs').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('due_at', '<=', now)
      .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
