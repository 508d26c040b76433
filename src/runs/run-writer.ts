// Commits a RunChange: the run, the step runs it touched, its events and the
// webhook messages it causes, in one transaction; then tells the other parts
// (live streams, workers, the webhook dispatcher). A change made by a worker
// is fenced by its lease, one made by an action (start, cancel, approve,
// restart) by the statuses it was made from: if the store moved on
// meanwhile, nothing is written.
import type { Store } from '../store/store.ts';
import type { WebhookEventType, WebhookMessage } from '../webhooks/webhook.ts';
import type { Notifier } from './notifier.ts';
import type { RunChange } from './run-change.ts';
import type { Run } from './run.ts';

/** A worker's lease on the run ran out (another may hold it now): its change is dropped. */
export class LeaseLost extends Error {}
/** The run or a step changed since it was read: the action should read again. */
export class RunConflict extends Error {}

export interface WebhookOutbox {
  /** The messages for the workspace's subscribers to these events about `run`. */
  messagesFor(run: Run, types: WebhookEventType[], at: string): Promise<WebhookMessage[]>;
}

export class RunWriter {
  readonly #store: Store;
  readonly #notifier: Notifier;
  readonly #outbox: WebhookOutbox;

  constructor(deps: { store: Store; notifier: Notifier; outbox: WebhookOutbox }) {
    this.#store = deps.store;
    this.#notifier = deps.notifier;
    this.#outbox = deps.outbox;
  }

  /**
   * Commits `change`, fenced by `leaseOwner` (a worker's) or else by the
   * run's status as read. `create`: the run is new, and is inserted with its
   * step runs in the same transaction.
   */
  async commit(change: RunChange, leaseOwner?: string, options: { create?: boolean } = {}): Promise<void> {
    const messages = change.webhooks.length > 0 ? await this.#outbox.messagesFor(change.run, change.webhooks, change.at) : [];
    if (leaseOwner !== undefined && !options.create && change.signals.length === 0) {
      // A worker's change: the lease fences it all (the engine's hot path; one statement on PostgreSQL).
      const steps = [...change.touched.values()].map((t) => t.step);
      if (!(await this.#store.runs.commitLeased({ run: change.run, owner: leaseOwner, steps, events: change.events, messages }))) throw new LeaseLost();
    } else await this.#store.transaction(async (tx) => {
      if (options.create) await tx.runs.insert(change.run, change.steps);
      else {
        const fence = leaseOwner !== undefined ? { leaseOwner } : { status: change.expectedStatus };
        if (!(await tx.runs.save(change.run, fence))) throw leaseOwner !== undefined ? new LeaseLost() : new RunConflict();
        for (const { step, expected } of change.touched.values()) {
          if (!(await tx.runs.saveStepRun(step, expected))) throw new RunConflict();
        }
      }
      await tx.runs.appendEvents(change.events);
      for (const signal of change.signals) await tx.runs.insertSignal(signal);
      await tx.webhooks.insertMessages(messages);
    });
    if (change.events.length > 0) this.#notifier.publish('run', change.run.id);
    if (change.run.dueAt !== null && change.run.leaseOwner === null && change.run.dueAt <= new Date().toISOString()) this.#notifier.publish('wake');
    if (messages.length > 0) this.#notifier.publish('webhooks');
  }

  /** Tells every node, e.g. to abort the step of a run that was cancelled. */
  notify(signal: 'cancel', runId: string): void {
    this.#notifier.publish(signal, runId);
  }
}
