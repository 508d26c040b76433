// How entities' fields become columns, the same on both dialects: flags are
// 0/1 integers and lists are JSON text (see schema.ts).
import type { StepDefinition, StepKind } from '../../process/step.ts';

export const flag = (value: boolean): number => (value ? 1 : 0);
export const json = (value: string[]): string => JSON.stringify(value);
export const list = (value: string): string[] => JSON.parse(value) as string[];

/** The columns of what a step does, in process_steps and in step_runs (a run's copy) alike. */
export const definitionColumns = (step: StepDefinition) => ({
  position: step.position,
  name: step.name,
  kind: step.kind,
  config: JSON.stringify(step.config),
  timeout_seconds: step.timeoutSeconds,
  retry_max_attempts: step.retry.maxAttempts,
  retry_backoff_seconds: step.retry.backoffSeconds,
});

export const definitionOf = (row: Omit<ReturnType<typeof definitionColumns>, 'kind'> & { kind: string }): StepDefinition => ({
  position: Number(row.position),
  name: row.name,
  kind: row.kind as StepKind,
  config: JSON.parse(row.config) as Record<string, unknown>,
  timeoutSeconds: row.timeout_seconds === null ? null : Number(row.timeout_seconds),
  retry: { maxAttempts: Number(row.retry_max_attempts), backoffSeconds: Number(row.retry_backoff_seconds) },
});
