// delay: a durable timer. The step waits with its end written in the store,
// and whichever worker (on whichever node, after any restart) claims the run
// once it is due finishes it.
import type { StepContext, StepExecutor, StepOutcome } from '../executor.ts';

export class DelayStep implements StepExecutor {
  readonly kind = 'delay';
  readonly sideEffects = false;

  async start({ step }: StepContext): Promise<StepOutcome> {
    const seconds = step.config.seconds as number;
    return { kind: 'wait', until: new Date(Date.now() + seconds * 1000).toISOString(), message: `waiting ${seconds} s`, forPerson: false };
  }

  async resume({ step }: StepContext): Promise<StepOutcome> {
    return { kind: 'done', output: null, message: `waited ${String(step.config.seconds)} s` };
  }
}
