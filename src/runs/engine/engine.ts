// The run engine: an interpreter of persisted state. Each node runs one,
// inside `serve`. It claims runs that are due (one statement; on PostgreSQL
// with SKIP LOCKED), holds each on a lease that it renews while a step runs,
// and moves each run on step by step, committing every state change with its
// events and webhook messages in one transaction fenced by the lease (a
// worker whose lease ran out can never overwrite what another did).
//
// - A step that succeeded is never executed again (unless the run is
//   restarted from it). A step with side effects (http) is recorded as
//   Running before its attempt, so an attempt cut short by a crash counts
//   and is retried under the step's policy, with the same Idempotency-Key.
// - Timers (delays, retry backoffs, approval deadlines) are due times in the
//   store: they survive restarts and fire on any node.
// - Cancelling aborts a step in flight at once, on whichever node runs it.
// - stop(): no new claims; in-flight steps finish or are aborted by the
//   deadline, and every lease this node holds is given back.
//
// This is ours rather than graphile-worker's or pg-boss's: neither runs on
// both SQLite and PostgreSQL, and our steps are data, so interpreting the
// persisted state is simpler and safer than replaying code. From their
// users' complaints we took: leases that are renewed while work runs (no
// duplicate after an expiry while the first is still busy), short leases
// given back on a clean stop (nothing stuck for hours after a kill).
import type { Store } from '../../store/store.ts';
import type { StepKind } from '../../process/step.ts';
import { isoTime } from '../../ids.ts';
import type { Notifier } from '../notifier.ts';
import { RunChange } from '../run-change.ts';
import { LeaseLost, RunConflict, type RunWriter } from '../run-writer.ts';
import type { ClaimedRun, StepRun } from '../run.ts';
import type { StepExecutor, StepOutcome } from './executor.ts';
import { ClaimLoop } from '../../workers/claim-loop.ts';

export interface EngineOptions {
  /** This node's worker id (leases are held in its name). */
  node: string;
  leaseMs: number;
  /** Runs this node drives at once. */
  concurrency: number;
  /** How often an idle worker looks for due runs when no one wakes it (timers, other nodes' missed notifications). */
  pollMs: number;
  /** On SQLite there is one node: at start, every lease left by a previous process is given back. */
  singleNode: boolean;
}

/** Where the claim's duration goes (metrics); seconds. */
export interface ClaimTimer {
  observe(seconds: number): void;
}

export interface EngineLog {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export class Engine {
  readonly #store: Store;
  readonly #writer: RunWriter;
  readonly #notifier: Notifier;
  readonly #executors: Map<StepKind, StepExecutor>;
  readonly #options: EngineOptions;
  readonly #loop: ClaimLoop<ClaimedRun>;
  readonly #onWake = () => this.#loop.poke();
  readonly #onCancel = (runId: string) => this.#loop.abort(runId, new Error('cancelled'));

  constructor(deps: { store: Store; writer: RunWriter; notifier: Notifier; executors: StepExecutor[]; log: EngineLog; claimDuration?: ClaimTimer }, options: EngineOptions) {
    this.#store = deps.store;
    this.#writer = deps.writer;
    this.#notifier = deps.notifier;
    this.#executors = new Map(deps.executors.map((e) => [e.kind, e]));
    this.#options = options;
    this.#loop = new ClaimLoop<ClaimedRun>({
      concurrency: options.concurrency,
      pollMs: options.pollMs,
      claim: async (free) => {
        const now = Date.now();
        const started = performance.now();
        try {
          return await this.#store.runs.claim(options.node, isoTime(now), isoTime(now + options.leaseMs), free);
        } finally {
          deps.claimDuration?.observe((performance.now() - started) / 1000);
        }
      },
      handle: (claimed, signal) => this.#drive(claimed, signal),
      idOf: (claimed) => claimed.run.id,
      onError: (error) => deps.log.error({ err: error }, 'the run engine met an error'),
    });
  }

  get inFlight(): number {
    return this.#loop.inFlight;
  }

  async start(): Promise<void> {
    if (this.#options.singleNode) await this.#store.runs.releaseLeases(null);
    this.#notifier.on('wake', this.#onWake);
    this.#notifier.on('cancel', this.#onCancel);
    this.#loop.start();
  }

  /** Looks for due runs now rather than at the next poll. */
  poke(): void {
    this.#loop.poke();
  }

  /** Stops claiming; waits up to `deadlineMs` for steps in flight, aborts the rest, and gives back this node's leases. */
  async stop(deadlineMs: number): Promise<void> {
    this.#notifier.off('wake', this.#onWake);
    this.#notifier.off('cancel', this.#onCancel);
    await this.#loop.stop(deadlineMs);
    await this.#store.runs.releaseLeases(this.#options.node).catch(() => {});
  }

  /** Moves one claimed run on as far as it can go now. */
  async #drive(claimed: ClaimedRun, stop: AbortSignal): Promise<void> {
    const owner = this.#options.node;
    // The lease is renewed while the run is driven; once it is lost (the run
    // was cancelled, or the store was out of reach too long), the step in
    // flight is aborted: its result could not be committed anyway.
    const lost = new AbortController();
    const signal = AbortSignal.any([stop, lost.signal]);
    const renewal = setInterval(() => {
      void this.#store.runs.renew(claimed.run.id, owner, isoTime(Date.now() + this.#options.leaseMs)).then((held) => {
        if (!held) lost.abort(new Error('the lease on the run was lost'));
      }, () => {});
    }, Math.max(250, Math.floor(this.#options.leaseMs / 3)));
    renewal.unref();
    try {
      let { run, steps } = claimed;
      for (;;) {
        if (signal.aborted) return;
        const change = new RunChange(run, steps, isoTime(Date.now()));
        const next = await this.#advance(change, signal);
        await this.#writer.commit(change, owner);
        if (next === 'stop') return;
        run = change.run;
        steps = change.steps;
      }
    } catch (error) {
      if (error instanceof LeaseLost || error instanceof RunConflict) return;
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * One step of the interpreter: decides what happens to the run now, into
   * `change`. 'continue' when the worker may go straight on to the next step.
   */
  async #advance(change: RunChange, signal: AbortSignal): Promise<'continue' | 'stop'> {
    const { run } = change;
    if (change.isFinal || run.status === 'NotStarted') {
      change.dueAt(null);
      return 'stop';
    }
    if (run.status === 'Scheduled') run.status = 'Running';
    const step = change.current();
    if (!step) {
      change.finishIfDone();
      return 'stop';
    }
    const executor = this.#executors.get(step.kind);
    if (!executor) {
      change.fail(step, `no executor for steps of kind ${step.kind}`, false);
      return 'stop';
    }
    // A timer that has not come yet: give the run back until then.
    if ((step.status === 'Waiting' || step.status === 'Scheduled') && step.waitUntil !== null && step.waitUntil > change.at) {
      change.dueAt(step.waitUntil);
      return 'stop';
    }
    let outcome: StepOutcome;
    if (step.status === 'Waiting') {
      outcome = await executor.resume({ run, step, signal });
    } else {
      if (step.status === 'Running') {
        // The attempt in flight when its worker stopped: it counts.
        change.event('step.interrupted', step, { attempt: step.attempts, message: 'its worker stopped during the attempt' });
        if (step.attempts >= step.retry.maxAttempts) {
          change.fail(step, 'interrupted when its worker stopped, with no attempt left', false);
          return 'stop';
        }
      }
      const attempt = step.attempts + 1;
      change.update(step, { status: 'Running', attempts: attempt, startedAt: step.startedAt ?? change.at, waitUntil: null });
      change.event('step.started', step, { attempt });
      if (executor.sideEffects) {
        // Recorded before the attempt reaches outside, so a crash during it is known.
        await this.#writer.commit(change, this.#options.node);
        change.touched.clear();
        change.events.length = 0;
        change.webhooks.length = 0;
      }
      outcome = await executor.start({ run: change.run, step, signal });
      change.at = isoTime(Date.now());
    }
    return this.#apply(change, step, outcome);
  }

  #apply(change: RunChange, step: StepRun, outcome: StepOutcome): 'continue' | 'stop' {
    if (outcome.kind === 'done') {
      change.succeed(step, outcome.output, outcome.message, outcome.warning);
      return change.finishIfDone() ? 'stop' : 'continue';
    }
    if (outcome.kind === 'wait') {
      change.update(step, { status: 'Waiting', waitUntil: outcome.until, completionMessage: outcome.message });
      change.event('step.waiting', step, { message: outcome.message, data: outcome.until ? { until: outcome.until } : null });
      if (outcome.forPerson) change.webhooks.push('step.waiting');
      change.dueAt(outcome.until);
      return 'stop';
    }
    if (step.attempts < step.retry.maxAttempts) {
      const delayMs = step.retry.backoffSeconds * 1000 * 2 ** (step.attempts - 1);
      const at = isoTime(Date.parse(change.at) + delayMs);
      change.update(step, { status: 'Scheduled', waitUntil: delayMs > 0 ? at : null, completionMessage: outcome.message });
      change.event('step.retry_scheduled', step, { attempt: step.attempts, message: outcome.message, data: { nextAttempt: step.attempts + 1, at } });
      if (delayMs > 0) {
        change.dueAt(at);
        return 'stop';
      }
      return 'continue';
    }
    change.fail(step, outcome.message, outcome.timedOut ?? false);
    return 'stop';
  }
}
