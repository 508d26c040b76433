// One state change of a run, made in memory and then committed whole, in one
// transaction, with its events and webhook messages (RunWriter). Both the
// engine and the API's actions (start, cancel, approve, restart) describe
// what they do as a RunChange, so every rule about statuses lives here.
import type { WebhookEventType } from '../webhooks/webhook.ts';
import { DONE_STEP_STATUSES, FINAL_RUN_STATUSES, type JsonObject, type NewRunEvent, type Run, type RunSignal, type RunStatus, type StepRun, type StepStatus } from './run.ts';

export class RunChange {
  readonly run: Run;
  readonly steps: StepRun[];
  /** Step runs written by this change, with the status each must still have in the store. */
  readonly touched = new Map<string, { step: StepRun; expected: StepStatus }>();
  readonly events: NewRunEvent[] = [];
  readonly webhooks: WebhookEventType[] = [];
  /** Approvals and rejections this change records. */
  readonly signals: RunSignal[] = [];
  /** The run's status as read, which the store must still have (for changes made without a lease). */
  readonly expectedStatus: RunStatus;
  at: string;

  constructor(run: Run, steps: StepRun[], at: string) {
    this.run = { ...run };
    this.steps = steps.map((s) => ({ ...s }));
    this.expectedStatus = run.status;
    this.at = at;
  }

  get isFinal(): boolean {
    return FINAL_RUN_STATUSES.has(this.run.status);
  }

  /** The first step that is not done: the one the run is at. */
  current(): StepRun | undefined {
    return this.steps.find((s) => !DONE_STEP_STATUSES.has(s.status));
  }

  step(id: string): StepRun | undefined {
    return this.steps.find((s) => s.id === id || s.stepId === id);
  }

  event(type: string, step: StepRun | null, fields: { message?: string | null; attempt?: number | null; data?: JsonObject | null } = {}): void {
    this.events.push({
      runId: this.run.id,
      workspaceId: this.run.workspaceId,
      at: this.at,
      type,
      stepRunId: step?.id ?? null,
      stepId: step?.stepId ?? null,
      attempt: fields.attempt ?? null,
      message: fields.message ?? null,
      data: fields.data ?? null,
    });
  }

  /** Changes a step run, remembering the status it had when read. */
  update(step: StepRun, fields: Partial<StepRun>): void {
    if (!this.touched.has(step.id)) this.touched.set(step.id, { step, expected: step.status });
    Object.assign(step, fields);
  }

  /** The run's data again: its input plus the results of its finished steps, in order. */
  recomputeData(): void {
    const data: JsonObject = { ...this.run.input };
    for (const step of this.steps) {
      const key = step.config.resultKey;
      if (typeof key === 'string' && (step.status === 'Success' || step.status === 'Warning')) data[key] = step.output ?? null;
    }
    this.run.data = data;
  }

  succeed(step: StepRun, output: unknown, message: string, warning = false): void {
    this.update(step, { status: warning ? 'Warning' : 'Success', output, completionMessage: message, finishedAt: this.at, waitUntil: null });
    const key = step.config.resultKey;
    if (typeof key === 'string') this.run.data = { ...this.run.data, [key]: output ?? null };
    this.event(warning ? 'step.warning' : 'step.succeeded', step, { message, attempt: step.attempts });
  }

  /** Ends the run when no step is left: Finished. */
  finishIfDone(): boolean {
    if (this.current()) return false;
    this.end('Finished', 'run.finished', 'run.finished', 'every step is done');
    return true;
  }

  /** The step failed for good: the steps after it are skipped and the run ends Failed (TimedOut for a timeout). */
  fail(step: StepRun, message: string, timedOut: boolean): void {
    this.update(step, { status: 'Failed', completionMessage: message, finishedAt: this.at, waitUntil: null });
    this.event('step.failed', step, { message, attempt: step.attempts });
    this.#skipRest();
    this.end(timedOut ? 'TimedOut' : 'Failed', timedOut ? 'run.timed_out' : 'run.failed', 'run.failed', `${step.name}: ${message}`);
  }

  /** Cancelled at once: the active step is cancelled, the rest skipped. */
  cancel(by: string): void {
    for (const step of this.steps) {
      if (DONE_STEP_STATUSES.has(step.status)) continue;
      if (step.status === 'NotStarted') this.update(step, { status: 'Skipped' });
      else {
        this.update(step, { status: 'Cancelled', completionMessage: `cancelled by ${by}`, finishedAt: this.at, waitUntil: null });
        this.event('step.cancelled', step, { message: `cancelled by ${by}` });
      }
    }
    this.end('Cancelled', 'run.cancelled', 'run.cancelled', `cancelled by ${by}`);
  }

  end(status: RunStatus, eventType: string, webhook: WebhookEventType, message: string): void {
    Object.assign(this.run, { status, finishedAt: this.at, dueAt: null, leaseOwner: null, leaseExpiresAt: null });
    this.event(eventType, null, { message });
    this.webhooks.push(webhook);
  }

  /** Needs a worker at `at` (now, or when a timer ends); null: no one until a person acts. */
  dueAt(at: string | null): void {
    Object.assign(this.run, { dueAt: at, leaseOwner: null, leaseExpiresAt: null });
  }

  #skipRest(): void {
    for (const step of this.steps) if (step.status === 'NotStarted' || step.status === 'Scheduled') this.update(step, { status: 'Skipped' });
  }
}
