// A run of a process, its step runs and its events: the persisted state the
// engine interprets. Statuses are SolveXia's (plus Failed for runs).
import type { RetryPolicy, StepKind } from '../process/step.ts';
import type { WebhookMessage } from '../webhooks/webhook.ts';

export const RUN_STATUSES = ['NotStarted', 'Scheduled', 'Running', 'Finished', 'Cancelled', 'TimedOut', 'Failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = ['NotStarted', 'Scheduled', 'Running', 'Waiting', 'Success', 'Warning', 'Failed', 'Cancelled', 'Skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const FINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['Finished', 'Cancelled', 'TimedOut', 'Failed']);
/** A step in one of these is done: it is never executed again unless the run is restarted from it. */
export const DONE_STEP_STATUSES: ReadonlySet<StepStatus> = new Set(['Success', 'Warning', 'Failed', 'Cancelled', 'Skipped']);

export type JsonObject = Record<string, unknown>;

export interface Run {
  id: string;
  processId: string;
  workspaceId: string;
  name: string;
  status: RunStatus;
  /** The data the run was created with. */
  input: JsonObject;
  /** `input` plus each finished step's result under its resultKey. */
  data: JsonObject;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** When the run next needs a worker; null while it needs none (not started, waiting for a person, or over). */
  dueAt: string | null;
  /** The worker that holds the run, and until when; a crashed worker's lease runs out and another takes the run. */
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
}

export interface StepRun {
  id: string;
  runId: string;
  stepId: string;
  position: number;
  name: string;
  kind: StepKind;
  /** A copy of the step's config when the run was made: editing the process never changes a run. */
  config: JsonObject;
  timeoutSeconds: number | null;
  retry: RetryPolicy;
  status: StepStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  completionMessage: string | null;
  output: unknown;
  /** A delay's end, an approval's deadline, or when a retry is due. */
  waitUntil: string | null;
  /** Sent with every attempt of an http step; new only when the run is restarted from this step or before. */
  idempotencyKey: string;
}

export interface RunEvent {
  /** Increasing over the whole store: the SSE stream's Last-Event-ID. */
  id: number;
  runId: string;
  workspaceId: string;
  at: string;
  type: string;
  stepRunId: string | null;
  stepId: string | null;
  attempt: number | null;
  message: string | null;
  data: JsonObject | null;
}

export type NewRunEvent = Omit<RunEvent, 'id'>;

/** An approval or rejection of a waiting step, as recorded. */
export interface RunSignal {
  id: string;
  runId: string;
  stepRunId: string;
  kind: 'approve' | 'reject';
  comment: string | null;
  decidedBy: string;
  at: string;
}

export type RunFence = { leaseOwner: string } | { status: RunStatus };

export interface RunPage {
  items: Run[];
  nextCursor: string | null;
}

/** A run a worker took, with its step runs as they were then. */
export interface ClaimedRun {
  run: Run;
  steps: StepRun[];
}

/** A worker's change of a run, written whole (see RunRepository.commitLeased). */
export interface LeasedWrite {
  run: Run;
  /** The worker whose lease fences the write. */
  owner: string;
  /** The step runs the change touched. */
  steps: StepRun[];
  events: NewRunEvent[];
  messages: WebhookMessage[];
}

export interface RunRepository {
  insert(run: Run, steps: StepRun[]): Promise<void>;
  /** A run of this workspace; undefined for any other. */
  find(workspaceId: string, id: string): Promise<Run | undefined>;
  findById(id: string): Promise<Run | undefined>;
  /** Newest first, keyset-paginated by id (`after`: the last id of the previous page); every workspace's with null (the operator's CLI). */
  list(workspaceId: string | null, filter: { processId?: string; status?: RunStatus }, limit: number, after: string | null): Promise<RunPage>;
  stepRuns(runId: string): Promise<StepRun[]>;
  /**
   * Takes up to `limit` runs that are due at `now` and held by no live lease,
   * for `owner` until `leaseUntil`, atomically (PostgreSQL: FOR UPDATE SKIP
   * LOCKED, so nodes never take the same run), each with its step runs.
   */
  claim(owner: string, now: string, leaseUntil: string, limit: number): Promise<ClaimedRun[]>;
  /** Extends `owner`'s lease; false if it no longer holds the run. */
  renew(id: string, owner: string, leaseUntil: string): Promise<boolean>;
  /**
   * Writes the run's status, data, times, due time and lease, only if the
   * store still has what `fence` says: the lease's owner (a worker whose lease
   * ran out must not overwrite what another did since), or the status the
   * change was made from (an action taken without a lease). False if not.
   */
  save(run: Run, fence: RunFence): Promise<boolean>;
  /** Writes the step run; with `expected`, only if it is still in that status (false if not). */
  saveStepRun(step: StepRun, expected?: StepStatus): Promise<boolean>;
  appendEvents(events: NewRunEvent[]): Promise<void>;
  /**
   * A worker's change, atomically: the run, the step runs it touched, its
   * events and its webhook messages, only while `owner` still holds the
   * run's lease (false, and nothing written, if not). The lease alone fences
   * the step runs too: whoever else changes a run (an action) writes the run
   * row as well, and takes the lease from the worker as it does.
   */
  commitLeased(write: LeasedWrite): Promise<boolean>;
  /** Events of a run after `afterId`, oldest first. */
  events(runId: string, afterId: number, limit: number): Promise<RunEvent[]>;
  insertSignal(signal: RunSignal): Promise<void>;
  /** Whether the process has a run that is not over (deleting it is refused then). */
  hasActiveRun(processId: string): Promise<boolean>;
  /** Gives up every lease `owner` holds (a clean stop) or, with no owner, every lease (a single node starting). */
  releaseLeases(owner: string | null): Promise<number>;
  /** How many runs are due now or later (for metrics and the bench). */
  countDue(): Promise<number>;
  /** How many runs are in each status (metrics, at scrape time); a status with none may be absent. */
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  /** How many runs are due at `now` and held by no live lease: the engine's queue (metrics). */
  countQueued(now: string): Promise<number>;
}
