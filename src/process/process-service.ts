import type { Process, ProcessPage } from './process.ts';
import type { Store } from '../store/store.ts';
import { NotFoundError, ValidationError, type FieldError } from '../errors.ts';
import { newId, now } from '../ids.ts';
import { ReadCache } from '../store/read-cache.ts';

export const MAX_PAGE_SIZE = 100;

// The API's GET by id is its hot path (scripts poll it), so processes are
// cached by id; the store read was about a third of that request's cost.
// Nothing changes a process after it is created yet. An update or delete
// added here must drop the entry (#cache.delete) and post a change notice
// for the other nodes, as ClientService does for clients.
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

export class ProcessService {
  readonly #store: Store;
  readonly #cache = new ReadCache<Process>({ ttlMs: CACHE_TTL_MS, size: CACHE_SIZE });
  constructor(store: Store) {
    this.#store = store;
  }

  async get(workspaceId: string, id: string): Promise<Process> {
    const cached = this.#cache.get(id);
    const process = cached ?? await this.#store.processes.findInWorkspace(workspaceId, id);
    // Another workspace's process is indistinguishable from a missing one.
    if (!process || process.workspaceId !== workspaceId) throw new NotFoundError(`process ${id} not found`);
    if (!cached) this.#cache.set(id, process);
    return process;
  }

  list(workspaceId: string, limit: number, after: string | null): Promise<ProcessPage> {
    return this.#store.processes.listInWorkspace(workspaceId, Math.min(Math.max(limit, 1), MAX_PAGE_SIZE), after);
  }

  async create(workspaceId: string, input: { name: string; description?: string }, actor: string): Promise<Process> {
    const name = input.name.trim();
    const description = (input.description ?? '').trim();
    const errors: FieldError[] = [];
    if (name.length === 0 || name.length > 200) errors.push({ field: 'name', message: 'must be 1 to 200 characters' });
    if (description.length > 5000) errors.push({ field: 'description', message: 'must be at most 5000 characters' });
    if (errors.length > 0) throw new ValidationError(errors);
    const at = now();
    const process: Process = { id: newId('p-'), workspaceId, name, description, createdAt: at, modifiedAt: at, modifiedBy: actor };
    await this.#store.processes.insert(process);
    return process;
  }
}
