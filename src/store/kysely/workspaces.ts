// WorkspaceRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, WorkspacesTable } from '../schema.ts';
import type { Workspace, WorkspaceRepository } from '../../user/user.ts';

function toWorkspace(row: Selectable<WorkspacesTable>): Workspace {
  return { id: row.id, name: row.name, personalOwnerId: row.personal_owner_id, createdAt: row.created_at };
}

export class Workspaces implements WorkspaceRepository {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }
  async insert(workspace: Workspace): Promise<void> {
    await this.#db.insertInto('workspaces').values({
      id: workspace.id,
      name: workspace.name,
      personal_owner_id: workspace.personalOwnerId,
      created_at: workspace.createdAt,
    }).execute();
  }
  async addMember(workspaceId: string, userId: string, role: string, at: string): Promise<void> {
    await this.#db.insertInto('workspace_members')
      .values({ workspace_id: workspaceId, user_id: userId, role, created_at: at })
      .execute();
  }
  async findPersonal(userId: string): Promise<Workspace | undefined> {
    const row = await this.#db.selectFrom('workspaces').selectAll().where('personal_owner_id', '=', userId).executeTakeFirst();
    return row && toWorkspace(row);
  }
}
