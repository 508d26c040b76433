// RunRepository on Kysely: runs, their step runs, events and signals. The
// claim is one statement on both dialects; on PostgreSQL its subquery locks
// with FOR UPDATE SKIP LOCKED, so nodes claiming at once never take the same
// run and never wait for each other.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ProcessRunsTable, RunEventsTable, StepRunsTable } from '../schema.ts';
import type { Dialect } from '../connect.ts';
import type { StepKind } from '../../process/step.ts';
import type { NewRunEvent, Run, RunEvent, RunFence, RunPage, RunRepository, RunSignal, RunStatus, StepRun, StepStatus } from '../../runs/run.ts';

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
  position: Number(row.position),
  name: row.name,
  kind: row.kind as StepKind,
  config: object(row.config),
  timeoutSeconds: row.timeout_seconds === null ? null : Number(row.timeout_seconds),
  retry: { maxAttempts: Number(row.retry_max_attempts), backoffSeconds: Number(row.retry_backoff_seconds) },
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
  position: step.position,
  name: step.name,
  kind: step.kind,
  config: JSON.stringify(step.config),
  timeout_seconds: step.timeoutSeconds,
  retry_max_attempts: step.retry.maxAttempts,
  retry_backoff_seconds: step.retry.backoffSeconds,
  status: step.status,
  attempts: step.attempts,
  started_at: step.startedAt,
  finished_at: step.finishedAt,
  completion_message: step.completionMessage,
  output: step.output === null || step.output === undefined ? null : JSON.stringify(step.output),
  wait_until: step.waitUntil,
  idempotency_key: step.idempotencyKey,
});

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
  async claim(owner: string, now: string, leaseUntil: string, limit: number): Promise<Run[]> {
    const rows = await this.#db.updateTable('process_runs')
      .set({ lease_owner: owner, lease_expires_at: leaseUntil })
      .where('id', 'in', (eb) => {
        let due = eb.selectFrom('process_runs').select('id')
          .where('due_at', '<=', now)
          .where((w) => w.or([w('lease_expires_at', 'is', null), w('lease_expires_at', '<', now)]))
          .orderBy('due_at').limit(limit);
        if (this.#dialect === 'postgres') due = due.forUpdate().skipLocked();
        return due;
      })
      .returningAll()
      .execute();
    return rows.map(toRun);
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
    const { id: _id, run_id: _r, step_id: _s, position: _p, name: _n, kind: _k, config: _c, ...row } = stepRow(step);
    let query = this.#db.updateTable('step_runs').set(row).where('id', '=', step.id);
    if (expected !== undefined) query = query.where('status', '=', expected);
    return (await query.executeTakeFirst()).numUpdatedRows > 0n;
  }
  async appendEvents(events: NewRunEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db.insertInto('run_events').values(events.map((e) => ({
      run_id: e.runId,
      workspace_id: e.workspaceId,
      at: e.at,
      type: e.type,
      step_run_id: e.stepRunId,
      step_id: e.stepId,
      attempt: e.attempt,
      message: e.message,
      data: e.data === null ? null : JSON.stringify(e.data),
    }))).execute();
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
}
