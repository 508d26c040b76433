// What people and scripts do with runs (the API, the portal and the CLI call
// this): create, start, read, cancel, restart from a step, approve or reject.
// Every action is a RunChange committed whole, fenced by the statuses it was
// decided on; if a worker moved the run on meanwhile, it is decided again.
import type { Store } from '../store/store.ts';
import type { Step } from '../process/step.ts';
import type { ProcessService } from '../process/process-service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { isoTime, newId, newSortableId } from '../ids.ts';
import { RunChange } from './run-change.ts';
import { RunConflict, type RunWriter } from './run-writer.ts';
import { FINAL_RUN_STATUSES, type JsonObject, type Run, type RunEvent, type RunPage, type RunStatus, type StepRun } from './run.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditContext } from '../audit/audit-event.ts';

export const MAX_RUN_PAGE = 100;
const MAX_DATA_BYTES = 256 * 1024;
const ATTEMPTS = 3;

export interface NewRun {
  namePrefix?: string;
  data?: JsonObject;
  start?: boolean;
}

export class RunService {
  readonly #store: Store;
  readonly #writer: RunWriter;
  readonly #processes: ProcessService;
  readonly #audit: AuditLog;

  constructor(deps: { store: Store; writer: RunWriter; processes: ProcessService; audit: AuditLog }) {
    this.#store = deps.store;
    this.#writer = deps.writer;
    this.#processes = deps.processes;
    this.#audit = deps.audit;
  }

  /** A run of the process with a copy of its steps, NotStarted unless `start` says so. */
  async create(workspaceId: string, processId: string, input: NewRun, actor: string): Promise<Run> {
    const data = input.data ?? {};
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ValidationError([{ field: 'data', message: 'must be a JSON object' }]);
    if (JSON.stringify(data).length > MAX_DATA_BYTES) throw new ValidationError([{ field: 'data', message: `must be at most ${MAX_DATA_BYTES} bytes of JSON` }]);
    if (input.namePrefix !== undefined && (input.namePrefix.trim() === '' || input.namePrefix.length > 150)) {
      throw new ValidationError([{ field: 'namePrefix', message: 'must be 1 to 150 characters' }]);
    }
    const process = await this.#processes.get(workspaceId, processId);
    const steps = await this.#processes.steps(workspaceId, processId);
    const at = isoTime(Date.now());
    const run: Run = {
      id: newSortableId('pr-'),
      processId,
      workspaceId,
      name: `${(input.namePrefix ?? process.name).trim()} ${at.slice(0, 19).replace('T', ' ')}`,
      status: 'NotStarted',
      input: data,
      data,
      createdBy: actor,
      createdAt: at,
      startedAt: null,
      finishedAt: null,
      dueAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    const stepRuns = steps.map((step) => stepRunOf(run.id, step));
    const change = new RunChange(run, stepRuns, at);
    change.event('run.created', null, { message: `created by ${actor}`, data: { steps: steps.length } });
    if (input.start) this.#start(change, actor);
    await this.#writer.commit(change, undefined, { create: true });
    return change.run;
  }

  /** Starts a run that was made without starting. */
  start(workspaceId: string, runId: string, actor: string): Promise<Run> {
    return this.#act(workspaceId, runId, (change) => {
      if (change.run.status !== 'NotStarted') throw new ConflictError(`run ${runId} is ${change.run.status}; only a run that has not started can be started`);
      this.#start(change, actor);
    });
  }

  async get(workspaceId: string, runId: string): Promise<Run> {
    const run = await this.#store.runs.find(workspaceId, runId);
    if (!run) throw new NotFoundError(`process run ${runId} not found`);
    return run;
  }

  async list(workspaceId: string, filter: { processId?: string; status?: RunStatus }, limit: number, after: string | null): Promise<RunPage> {
    if (filter.processId) await this.#processes.get(workspaceId, filter.processId);
    return this.#store.runs.list(workspaceId, filter, Math.min(Math.max(limit, 1), MAX_RUN_PAGE), after);
  }

  /** Any workspace's run, for the operator's CLI; `workspaceId` then says whose it is. */
  async find(runId: string): Promise<Run> {
    const run = await this.#store.runs.findById(runId);
    if (!run) throw new NotFoundError(`process run ${runId} not found`);
    return run;
  }

  /** Every workspace's runs, for the operator's CLI. */
  listAll(filter: { processId?: string; status?: RunStatus }, limit: number, after: string | null): Promise<RunPage> {
    return this.#store.runs.list(null, filter, Math.min(Math.max(limit, 1), MAX_RUN_PAGE), after);
  }

  async steps(workspaceId: string, runId: string): Promise<StepRun[]> {
    await this.get(workspaceId, runId);
    return this.#store.runs.stepRuns(runId);
  }

  /** A run's step by the process step's id (or the step run's own). */
  async step(workspaceId: string, runId: string, stepId: string): Promise<StepRun> {
    const step = (await this.steps(workspaceId, runId)).find((s) => s.stepId === stepId || s.id === stepId);
    if (!step) throw new NotFoundError(`run ${runId} has no step ${stepId}`);
    return step;
  }

  async events(workspaceId: string, runId: string, afterId: number, limit = 1000): Promise<RunEvent[]> {
    await this.get(workspaceId, runId);
    return this.#store.runs.events(runId, afterId, limit);
  }

  /**
   * Cancels at once: a step in flight is aborted, a waiting approval or delay
   * released. `actor` is the name the run's timeline shows; `audit` who it is.
   */
  async cancel(workspaceId: string, runId: string, actor: string, audit: AuditContext): Promise<Run> {
    const run = await this.#act(workspaceId, runId, (change) => {
      if (change.isFinal) throw new ConflictError(`run ${runId} is already ${change.run.status}`);
      change.cancel(actor);
    }, 'cancel');
    // After the commit: the writer's one-statement commit has no room for it.
    await this.#audit.record(audit, 'run.cancelled', { type: 'run', id: runId }, { workspace_id: workspaceId, process_id: run.processId });
    return run;
  }

  /** Runs the step again, and every step after it; the ones before keep their results. */
  restartFrom(workspaceId: string, runId: string, stepId: string, actor: string): Promise<Run> {
    return this.#act(workspaceId, runId, (change) => {
      if (!change.isFinal) throw new ConflictError(`run ${runId} is ${change.run.status}; cancel it, or let it finish, before restarting it`);
      const from = change.step(stepId);
      if (!from) throw new NotFoundError(`run ${runId} has no step ${stepId}`);
      for (const step of change.steps) {
        if (step.position < from.position) continue;
        change.update(step, {
          status: 'NotStarted', attempts: 0, startedAt: null, finishedAt: null, completionMessage: null, output: null, waitUntil: null,
          idempotencyKey: `${step.id}.${newId('', 8)}`,
        });
      }
      change.recomputeData();
      Object.assign(change.run, { status: 'Scheduled' as RunStatus, finishedAt: null });
      change.dueAt(change.at);
      change.event('run.restarted', from, { message: `restarted from ${from.name} by ${actor}` });
    });
  }

  /** Approves or rejects a waiting approval step; `actor` as for cancel. */
  async decide(workspaceId: string, runId: string, stepId: string, approve: boolean, comment: string | null, actor: string, audit: AuditContext): Promise<Run> {
    if (comment !== null && comment.length > 2000) throw new ValidationError([{ field: 'comment', message: 'must be at most 2000 characters' }]);
    let stepName = '';
    const run = await this.#act(workspaceId, runId, (change) => {
      const step = change.step(stepId);
      if (!step) throw new NotFoundError(`run ${runId} has no step ${stepId}`);
      if (step.kind !== 'approval' || step.status !== 'Waiting' || change.isFinal) {
        throw new ConflictError(`step ${step.name} is ${step.status}${step.kind === 'approval' ? '' : ' and is not an approval'}; only a waiting approval can be ${approve ? 'approved' : 'rejected'}`);
      }
      stepName = step.name;
      change.signals.push({ id: newId('sg-'), runId, stepRunId: step.id, kind: approve ? 'approve' : 'reject', comment, decidedBy: actor, at: change.at });
      const decision = { decision: approve ? 'approved' : 'rejected', by: actor, comment, at: change.at };
      if (approve) {
        change.event('step.approved', step, { message: `approved by ${actor}${comment ? `: ${comment}` : ''}`, data: { comment } });
        change.succeed(step, decision, `approved by ${actor}${comment ? `: ${comment}` : ''}`);
        if (!change.finishIfDone()) change.dueAt(change.at);
      } else {
        change.event('step.rejected', step, { message: `rejected by ${actor}${comment ? `: ${comment}` : ''}`, data: { comment } });
        change.update(step, { output: decision });
        change.fail(step, `rejected by ${actor}${comment ? `: ${comment}` : ''}`, false);
      }
    });
    await this.#audit.record(audit, approve ? 'run.approved' : 'run.rejected', { type: 'run', id: runId }, { workspace_id: workspaceId, process_id: run.processId, step: stepName });
    return run;
  }

  #start(change: RunChange, actor: string): void {
    Object.assign(change.run, { status: 'Scheduled' as RunStatus, startedAt: change.at });
    change.dueAt(change.at);
    change.event('run.started', null, { message: `started by ${actor}` });
    change.webhooks.push('run.started');
  }

  /**
   * Reads the run, lets `decide` describe the change, commits it fenced by
   * what was read; if a worker changed the run meanwhile, reads and decides
   * again. `notify`: 'cancel' also tells the node running its step.
   */
  async #act(workspaceId: string, runId: string, decide: (change: RunChange) => void, notify?: 'cancel'): Promise<Run> {
    for (let attempt = 1; ; attempt++) {
      const run = await this.get(workspaceId, runId);
      const change = new RunChange(run, await this.#store.runs.stepRuns(runId), isoTime(Date.now()));
      decide(change);
      // An action takes the run from whichever worker held it: its next write is fenced out.
      change.run.leaseOwner = null;
      change.run.leaseExpiresAt = null;
      try {
        await this.#writer.commit(change);
      } catch (error) {
        if (error instanceof RunConflict && attempt < ATTEMPTS) continue;
        if (error instanceof RunConflict) throw new ConflictError(`run ${runId} is changing; try again`);
        throw error;
      }
      if (notify) this.#writer.notify(notify, runId);
      return change.run;
    }
  }
}

/** A run's copy of a step. */
function stepRunOf(runId: string, step: Step): StepRun {
  const id = newId('sr-');
  return {
    id,
    runId,
    stepId: step.id,
    position: step.position,
    name: step.name,
    kind: step.kind,
    config: step.config,
    timeoutSeconds: step.timeoutSeconds,
    retry: step.retry,
    status: 'NotStarted',
    attempts: 0,
    startedAt: null,
    finishedAt: null,
    completionMessage: null,
    output: null,
    waitUntil: null,
    idempotencyKey: id,
  };
}

export const isFinalStatus = (status: RunStatus): boolean => FINAL_RUN_STATUSES.has(status);
