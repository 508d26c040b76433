// approval: the run waits for a user with process_execute in the workspace to
// approve or reject (RunService does that). With a deadline, a worker comes
// back when it passes, and the step fails.
import type { StepContext, StepExecutor, StepOutcome } from '../executor.ts';

export class ApprovalStep implements StepExecutor {
  readonly kind = 'approval';
  readonly sideEffects = false;

  async start({ step }: StepContext): Promise<StepOutcome> {
    const deadline = step.config.deadlineSeconds as number | undefined;
    return {
      kind: 'wait',
      until: deadline === undefined ? null : new Date(Date.now() + deadline * 1000).toISOString(),
      message: typeof step.config.message === 'string' ? step.config.message : 'waiting for approval',
      forPerson: true,
    };
  }

  async resume({ step }: StepContext): Promise<StepOutcome> {
    return { kind: 'failed', message: `no one approved it within ${String(step.config.deadlineSeconds)} s`, timedOut: true };
  }
}
