// transform: a JSONata expression over the run's data; its value is stored
// under resultKey. Evaluated in the sandbox, bounded by the step's timeout.
import type { JsonataSandbox } from '../../jsonata-sandbox.ts';
import { ExpressionError } from '../../jsonata-sandbox.ts';
import type { StepContext, StepExecutor, StepOutcome } from '../executor.ts';

const DEFAULT_TIMEOUT_MS = 5000;

export class TransformStep implements StepExecutor {
  readonly kind = 'transform';
  readonly sideEffects = false;
  readonly #sandbox: JsonataSandbox;

  constructor(sandbox: JsonataSandbox) {
    this.#sandbox = sandbox;
  }

  async start({ run, step }: StepContext): Promise<StepOutcome> {
    const timeoutMs = step.timeoutSeconds === null ? DEFAULT_TIMEOUT_MS : step.timeoutSeconds * 1000;
    try {
      const output = await this.#sandbox.evaluate(step.config.expression as string, run.data, timeoutMs);
      return { kind: 'done', output, message: `stored under ${String(step.config.resultKey)}` };
    } catch (error) {
      if (error instanceof ExpressionError) {
        return { kind: 'failed', message: error.timedOut ? `the expression ran past its timeout of ${timeoutMs / 1000} s` : `the expression failed: ${error.message}`, timedOut: error.timedOut };
      }
      throw error;
    }
  }

  resume(context: StepContext): Promise<StepOutcome> {
    return this.start(context);
  }
}
