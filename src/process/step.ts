// A process's steps: what a run of the process does, in order. Each step has
// a kind (http, transform, delay, approval) whose `config` is checked by
// step-kinds.ts, an optional timeout, and a retry policy.

export const STEP_KINDS = ['http', 'transform', 'delay', 'approval'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface RetryPolicy {
  /** Attempts in all, the first included (1: no retry). */
  maxAttempts: number;
  /** Wait before the second attempt; doubled before each one after. */
  backoffSeconds: number;
}

export interface Step {
  id: string;
  processId: string;
  workspaceId: string;
  /** 1-based order within the process. */
  position: number;
  name: string;
  kind: StepKind;
  config: Record<string, unknown>;
  timeoutSeconds: number | null;
  retry: RetryPolicy;
  createdAt: string;
  updatedAt: string;
}

/** What a step does: a process's step and its copy in each run share it. */
export type StepDefinition = Pick<Step, 'position' | 'name' | 'kind' | 'config' | 'timeoutSeconds' | 'retry'>;

export interface StepRepository {
  /** The process's steps, in order. */
  listForProcess(processId: string): Promise<Step[]>;
  find(workspaceId: string, id: string): Promise<Step | undefined>;
  insert(step: Step): Promise<void>;
  update(step: Step): Promise<void>;
  delete(id: string): Promise<void>;
  /** Sets each step's position, in one statement per step (within the caller's transaction). */
  setPositions(positions: Array<{ id: string; position: number }>): Promise<void>;
}
