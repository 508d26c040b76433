// StepRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, ProcessStepsTable } from '../schema.ts';
import type { Step, StepRepository } from '../../process/step.ts';
import { definitionColumns, definitionOf } from './columns.ts';

const toStep = (row: Selectable<ProcessStepsTable>): Step => ({
  id: row.id,
  processId: row.process_id,
  workspaceId: row.workspace_id,
  ...definitionOf(row),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toRow = (step: Step) => ({
  id: step.id,
  process_id: step.processId,
  workspace_id: step.workspaceId,
  ...definitionColumns(step),
  created_at: step.createdAt,
  updated_at: step.updatedAt,
});

export class Steps implements StepRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async listForProcess(processId: string): Promise<Step[]> {
    const rows = await this.#db.selectFrom('process_steps').selectAll().where('process_id', '=', processId).orderBy('position').orderBy('id').execute();
    return rows.map(toStep);
  }
  async find(workspaceId: string, id: string): Promise<Step | undefined> {
    const row = await this.#db.selectFrom('process_steps').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
    return row && toStep(row);
  }
  async insert(step: Step): Promise<void> {
    await this.#db.insertInto('process_steps').values(toRow(step)).execute();
  }
  async update(step: Step): Promise<void> {
    const { id: _id, ...row } = toRow(step);
    await this.#db.updateTable('process_steps').set(row).where('id', '=', step.id).execute();
  }
  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('process_steps').where('id', '=', id).execute();
  }
  async setPositions(positions: Array<{ id: string; position: number }>): Promise<void> {
    for (const { id, position } of positions) await this.#db.updateTable('process_steps').set({ position }).where('id', '=', id).execute();
  }
}
