// A process (SolveXia's name for a piece of automated work) and its repository.

export interface Process {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  createdAt: string;
  modifiedAt: string;
  modifiedBy: string;
}

export interface ProcessPage {
  items: Process[];
  nextCursor: string | null;
}

export interface ProcessRepository {
  insert(process: Process): Promise<void>;
  /** Writes name, description and who changed it when; false if there is no such process in the workspace. */
  update(process: Process): Promise<boolean>;
  /** Deletes it with its steps and runs; false if there is none. */
  delete(workspaceId: string, id: string): Promise<boolean>;
  findInWorkspace(workspaceId: string, id: string): Promise<Process | undefined>;
  /** Any workspace's (the operator's CLI). */
  findById(id: string): Promise<Process | undefined>;
  /** Every workspace's, by id (the operator's CLI). */
  listAll(limit: number, after: string | null): Promise<ProcessPage>;
  /** Keyset pagination by id: `after` is the last id of the previous page. */
  listInWorkspace(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage>;
}
