// Runs, step runs and events as the API, the CLI and webhooks show them.
// Field names follow SolveXia's public API (camelCase, dateX, string statuses).
import type { Run, RunEvent, StepRun } from './run.ts';

const seconds = (from: string | null, to: string | null): number | null =>
  from === null || to === null ? null : Math.round((Date.parse(to) - Date.parse(from)) / 10) / 100;

export const toRunStatusJson = (run: Run) => ({
  id: run.id,
  status: run.status,
  dateStarted: run.startedAt,
  dateFinished: run.finishedAt,
  runDurationInSeconds: seconds(run.startedAt, run.finishedAt),
});

export const toRunJson = (run: Run) => ({
  ...toRunStatusJson(run),
  processId: run.processId,
  name: run.name,
  data: run.data,
  dateCreated: run.createdAt,
  createdBy: run.createdBy,
});

export const toStepRunJson = (step: StepRun) => ({
  id: step.id,
  stepId: step.stepId,
  name: step.name,
  kind: step.kind,
  position: step.position,
  status: step.status,
  attempts: step.attempts,
  dateStarted: step.startedAt,
  dateFinished: step.finishedAt,
  completionMessage: step.completionMessage,
  output: step.output ?? null,
  waitingUntil: step.status === 'Waiting' || step.status === 'Scheduled' ? step.waitUntil : null,
});

export const toStepRunStatusJson = (step: StepRun) => ({
  id: step.stepId,
  stepRunId: step.id,
  name: step.name,
  status: step.status,
  completionMessage: step.completionMessage,
  attempts: step.attempts,
  dateStarted: step.startedAt,
  dateFinished: step.finishedAt,
});

export const toEventJson = (event: RunEvent) => ({
  id: event.id,
  runId: event.runId,
  type: event.type,
  at: event.at,
  stepId: event.stepId,
  stepRunId: event.stepRunId,
  attempt: event.attempt,
  message: event.message,
  data: event.data,
});
