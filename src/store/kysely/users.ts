// UserRepository on Kysely.
import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from '../schema.ts';
import type { User, UserRepository } from '../../user/user.ts';
import type { Dialect } from '../connect.ts';
import { flag } from './columns.ts';

function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    isAdmin: Boolean(row.is_admin),
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}

export class Users implements UserRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;
  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }
  async lockActive(id: string): Promise<boolean> {
    let query = this.#db.selectFrom('users').select('disabled_at').where('id', '=', id);
    // SQLite runs one writing transaction at a time already; PostgreSQL needs the row lock.
    if (this.#dialect === 'postgres') query = query.forShare();
    const row = await query.executeTakeFirst();
    return row !== undefined && row.disabled_at === null;
  }
  async insert(user: User): Promise<void> {
    await this.#db.insertInto('users').values({
      id: user.id,
      email: user.email,
      password_hash: user.passwordHash,
      is_admin: flag(user.isAdmin),
      disabled_at: user.disabledAt,
      created_at: user.createdAt,
    }).execute();
  }
  async findById(id: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }
  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row && toUser(row);
  }
  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toUser);
  }
  async any(): Promise<boolean> {
    return (await this.#db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }
  async setDisabled(id: string, disabledAt: string | null): Promise<boolean> {
    const result = await this.#db.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.#db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
