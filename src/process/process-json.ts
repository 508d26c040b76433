import type { Process } from './process.ts';
import type { Step } from './step.ts';

/** A process as the API and CLI show it; names follow SolveXia's public API. */
export const toProcessJson = (p: Process) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  dateCreated: p.createdAt,
  dateModified: p.modifiedAt,
  lastModifiedBy: p.modifiedBy,
});

export const toStepJson = (s: Step) => ({
  id: s.id,
  processId: s.processId,
  position: s.position,
  name: s.name,
  kind: s.kind,
  config: s.config,
  timeoutSeconds: s.timeoutSeconds,
  retry: s.retry,
  dateCreated: s.createdAt,
  dateModified: s.updatedAt,
});
