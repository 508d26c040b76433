// The interface every kind of step implements: one file per kind in
// executors/, as the token endpoint has one file per grant.
import type { StepKind } from '../../process/step.ts';
import type { Run, StepRun } from '../run.ts';

export interface StepContext {
  run: Run;
  step: StepRun;
  /** Aborted when the run is cancelled, the worker loses its lease, or the server stops. */
  signal: AbortSignal;
}

export type StepOutcome =
  | { kind: 'done'; output: unknown; message: string; warning?: boolean }
  | { kind: 'failed'; message: string; timedOut?: boolean }
  /** Waiting until `until` (a timer), or for a person (null, or a deadline). */
  | { kind: 'wait'; until: string | null; message: string; forPerson: boolean };

export interface StepExecutor {
  readonly kind: StepKind;
  /**
   * Whether an attempt reaches outside Gatehouse. Then the engine commits the
   * attempt (Running, its number) before it starts, so a crash mid-flight is
   * counted and retried under the step's policy; a pure step just runs again.
   */
  readonly sideEffects: boolean;
  /** The step's attempt. */
  start(context: StepContext): Promise<StepOutcome>;
  /** A Waiting step whose time has come (a delay's end, an approval's deadline). */
  resume(context: StepContext): Promise<StepOutcome>;
}

export const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
