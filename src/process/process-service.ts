// Processes and their steps: create, read, change, reorder, delete. Every
// change drops the process from this node's cache and, through the change
// feed, from every other node's.
import type { Process, ProcessPage } from './process.ts';
import type { Step, RetryPolicy, StepKind } from './step.ts';
import type { Store } from '../store/store.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { ReadCache } from '../store/read-cache.ts';
import type { ChangeFeed } from '../feed/change-feed.ts';
import { DEFAULT_TIMEOUT_SECONDS, stepProblems } from './step-kinds.ts';

export const MAX_PAGE_SIZE = 100;
export const MAX_STEPS = 100;

// The API's GET by id is its hot path (scripts poll it), so processes are
// cached by id; the store read was about a third of that request's cost.
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

export interface StepInput {
  name: string;
  kind: StepKind;
  config: Record<string, unknown>;
  timeoutSeconds?: number | null;
  retry?: Partial<RetryPolicy> | null;
  /** 1-based; the end when left out. */
  position?: number;
}

export type StepPatch = Partial<StepInput>;

function processProblems(input: { name?: string; description?: string }): FieldError[] {
  const errors: FieldError[] = [];
  if (input.name !== undefined && (input.name.trim().length === 0 || input.name.trim().length > 200)) errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
  if (input.description !== undefined && input.description.trim().length > 5000) errors.push({ field: 'description', message: 'must be at most 5000 characters' });
  return errors;
}

function nameProblems(name: unknown): FieldError[] {
  return typeof name !== 'string' || name.trim().length === 0 || name.trim().length > 200 ? [{ field: 'name', message: 'must be 1 to 200 characters' }] : [];
}

export class ProcessService {
  readonly #store: Store;
  readonly #changes: ChangeFeed;
  readonly #cache = new ReadCache<Process>({ ttlMs: CACHE_TTL_MS, size: CACHE_SIZE });

  constructor(store: Store, changes: ChangeFeed) {
    this.#store = store;
    this.#changes = changes;
    this.#changes.onChange('process_changed', (id) => this.#cache.delete(id));
  }

  async get(workspaceId: string, id: string): Promise<Process> {
    const cached = this.#cache.get(id);
    const process = cached ?? await this.#store.processes.findInWorkspace(workspaceId, id);
    // Another workspace's process is indistinguishable from a missing one.
    if (!process || process.workspaceId !== workspaceId) throw new NotFoundError(`process ${id} not found`);
    if (!cached) this.#cache.set(id, process);
    return process;
  }

  /** Any workspace's process, for the operator's CLI. */
  async find(id: string): Promise<Process> {
    const process = await this.#store.processes.findById(id);
    if (!process) throw new NotFoundError(`process ${id} not found`);
    return process;
  }

  /** Every workspace's processes, for the operator's CLI. */
  listAll(limit: number, after: string | null): Promise<ProcessPage> {
    return this.#store.processes.listAll(Math.min(Math.max(limit, 1), MAX_PAGE_SIZE), after);
  }

  list(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage> {
    return this.#store.processes.listInWorkspace(workspaceId, Math.min(Math.max(limit, 1), MAX_PAGE_SIZE), after);
  }

  async create(workspaceId: string, input: { name: string; description?: string }, actor: string): Promise<Process> {
    const errors = processProblems({ name: input.name, description: input.description ?? '' });
    if (errors.length > 0) throw new ValidationError(errors);
    const at = now();
    const process: Process = { id: newId('p-'), workspaceId, name: input.name.trim(), description: (input.description ?? '').trim(), createdAt: at, modifiedAt: at, modifiedBy: actor };
    await this.#store.processes.insert(process);
    return process;
  }

  async update(workspaceId: string, id: string, input: { name?: string; description?: string }, actor: string): Promise<Process> {
    const errors = processProblems(input);
    if (errors.length > 0) throw new ValidationError(errors);
    const current = await this.get(workspaceId, id);
    const process: Process = {
      ...current,
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.description !== undefined ? { description: input.description.trim() } : {}),
      modifiedAt: now(),
      modifiedBy: actor,
    };
    await this.#store.transaction(async (tx) => {
      if (!(await tx.processes.update(process))) throw new NotFoundError(`process ${id} not found`);
      await this.#changed(id, tx);
    });
    return process;
  }

  /** Deletes the process, its steps and its past runs; refused while a run of it is active. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.#store.transaction(async (tx) => {
      if (await tx.runs.hasActiveRun(id)) throw new ConflictError(`process ${id} has an active run; cancel it or let it finish first`);
      if (!(await tx.processes.delete(workspaceId, id))) throw new NotFoundError(`process ${id} not found`);
      await this.#changed(id, tx);
    });
  }

  async steps(workspaceId: string, processId: string): Promise<Step[]> {
    await this.get(workspaceId, processId);
    return this.#store.steps.listForProcess(processId);
  }

  async step(workspaceId: string, stepId: string): Promise<Step> {
    const step = await this.#store.steps.find(workspaceId, stepId);
    if (!step) throw new NotFoundError(`step ${stepId} not found`);
    return step;
  }

  /** Adds a step (at `position`, or last), moving the ones after it down, in one transaction. */
  async addStep(workspaceId: string, processId: string, input: StepInput, actor: string): Promise<Step> {
    const errors = [...nameProblems(input.name), ...stepProblems(input)];
    if (errors.length > 0) throw new ValidationError(errors);
    await this.get(workspaceId, processId);
    return this.#store.transaction(async (tx) => {
      const existing = await tx.steps.listForProcess(processId);
      if (existing.length >= MAX_STEPS) throw new ValidationError([{ field: 'steps', message: `a process has at most ${MAX_STEPS} steps` }]);
      const position = this.#position(input.position, existing.length + 1);
      const at = now();
      const step: Step = {
        id: newId('st-'),
        processId,
        workspaceId,
        position,
        name: input.name.trim(),
        kind: input.kind,
        config: input.config,
        timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS[input.kind],
        retry: { maxAttempts: input.retry?.maxAttempts ?? 1, backoffSeconds: input.retry?.backoffSeconds ?? 0 },
        createdAt: at,
        updatedAt: at,
      };
      const order = [...existing];
      order.splice(position - 1, 0, step);
      await tx.steps.insert(step);
      await this.#renumber(tx, order, step.id);
      await this.#touch(tx, workspaceId, processId, actor);
      return step;
    });
  }

  /** Changes a step; a new `position` moves it, and the others close up around it. */
  async updateStep(workspaceId: string, stepId: string, patch: StepPatch, actor: string): Promise<Step> {
    const current = await this.step(workspaceId, stepId);
    const kind = patch.kind ?? current.kind;
    // A new kind needs a config of its kind.
    const config = patch.config ?? (patch.kind !== undefined && patch.kind !== current.kind ? undefined : current.config);
    const errors = [
      ...(patch.name !== undefined ? nameProblems(patch.name) : []),
      ...stepProblems({ kind, config, timeoutSeconds: patch.timeoutSeconds, retry: patch.retry === undefined ? undefined : { ...current.retry, ...patch.retry } }),
    ];
    if (errors.length > 0) throw new ValidationError(errors);
    return this.#store.transaction(async (tx) => {
      const steps = await tx.steps.listForProcess(current.processId);
      const updated: Step = {
        ...current,
        name: patch.name?.trim() ?? current.name,
        kind,
        config: config!,
        timeoutSeconds: patch.timeoutSeconds === undefined ? (patch.kind !== undefined ? DEFAULT_TIMEOUT_SECONDS[kind] : current.timeoutSeconds) : patch.timeoutSeconds,
        retry: patch.retry ? { ...current.retry, ...patch.retry } : current.retry,
        updatedAt: now(),
      };
      await tx.steps.update(updated);
      if (patch.position !== undefined && patch.position !== current.position) {
        const order = steps.filter((s) => s.id !== stepId);
        order.splice(this.#position(patch.position, steps.length) - 1, 0, updated);
        await this.#renumber(tx, order, null);
        updated.position = order.indexOf(updated) + 1;
      }
      await this.#touch(tx, workspaceId, current.processId, actor);
      return updated;
    });
  }

  async deleteStep(workspaceId: string, stepId: string, actor: string): Promise<void> {
    const current = await this.step(workspaceId, stepId);
    await this.#store.transaction(async (tx) => {
      await tx.steps.delete(stepId);
      await this.#renumber(tx, (await tx.steps.listForProcess(current.processId)), null);
      await this.#touch(tx, workspaceId, current.processId, actor);
    });
  }

  #position(requested: number | undefined, last: number): number {
    if (requested === undefined) return last;
    if (!Number.isInteger(requested) || requested < 1 || requested > last) {
      throw new ValidationError([{ field: 'position', message: `must be a whole number from 1 to ${last}` }]);
    }
    return requested;
  }

  /** Writes 1…n as the positions of `order`, where they changed (`skip`: a step just inserted at its place). */
  async #renumber(tx: Store, order: Step[], skip: string | null): Promise<void> {
    const moves = order.map((s, i) => ({ id: s.id, position: i + 1, was: s.position })).filter((m) => m.id !== skip && m.was !== m.position);
    await tx.steps.setPositions(moves.map(({ id, position }) => ({ id, position })));
  }

  /** A step changed: the process was modified, by `actor`. */
  async #touch(tx: Store, workspaceId: string, processId: string, actor: string): Promise<void> {
    const process = await tx.processes.findInWorkspace(workspaceId, processId);
    if (process) await tx.processes.update({ ...process, modifiedAt: now(), modifiedBy: actor });
    await this.#changed(processId, tx);
  }

  async #changed(id: string, store: Store): Promise<void> {
    this.#cache.delete(id);
    await this.#changes.announce('process_changed', id, store);
  }
}
