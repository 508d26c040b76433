// ProcessRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ProcessesTable } from '../schema.ts';
import type { Process, ProcessPage, ProcessRepository } from '../../process/process.ts';
import { prepared } from '../prepared.ts';

function toProcess(row: Selectable<ProcessesTable>): Process {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    modifiedBy: row.modified_by,
  };
}

export class Processes implements ProcessRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(process: Process): Promise<void> {
    await this.#db.insertInto('processes').values({
      id: process.id,
      workspace_id: process.workspaceId,
      name: process.name,
      description: process.description,
      created_at: process.createdAt,
      modified_at: process.modifiedAt,
      modified_by: process.modifiedBy,
    }).execute();
  }
  // The API's GET by id is a hot path: compiled once, re-bound per call.
  readonly #findInWorkspace = prepared<'workspaceId' | 'id', Selectable<ProcessesTable>>((param) =>
    this.#db.selectFrom('processes').selectAll().where('workspace_id', '=', param('workspaceId')).where('id', '=', param('id')));
  async findInWorkspace(workspaceId: string, id: string): Promise<Process | undefined> {
    const row = (await this.#db.executeQuery(this.#findInWorkspace({ workspaceId, id }))).rows[0];
    return row && toProcess(row);
  }
  async update(process: Process): Promise<boolean> {
    const result = await this.#db.updateTable('processes').set({
      name: process.name, description: process.description, modified_at: process.modifiedAt, modified_by: process.modifiedBy,
    }).where('id', '=', process.id).where('workspace_id', '=', process.workspaceId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async delete(workspaceId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('processes').where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
  async findById(id: string): Promise<Process | undefined> {
    const row = await this.#db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toProcess(row);
  }
  listAll(limit: number, after: string | null): Promise<ProcessPage> {
    return this.listInWorkspace(null, limit, after);
  }
  async listInWorkspace(workspaceId: string | null, limit: number, after: string | null): Promise<ProcessPage> {
    let query = this.#db.selectFrom('processes').selectAll();
    if (workspaceId !== null) query = query.where('workspace_id', '=', workspaceId);
    if (after !== null) query = query.where('id', '>', after);
    // One row more than asked tells whether another page exists.
    const rows = await query.orderBy('id').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toProcess);
    const nextCursor = rows.length > limit ? (items.at(-1)?.id ?? null) : null;
    return { items, nextCursor };
  }
}
