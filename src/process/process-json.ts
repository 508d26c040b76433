import type { Process } from './process.ts';

/** A process as the API and CLI show it; names follow SolveXia's public API. */
export const toProcessJson = (p: Process) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  dateCreated: p.createdAt,
  dateModified: p.modifiedAt,
  lastModifiedBy: p.modifiedBy,
});
