import type { Kysely } from 'kysely';

// Accounts a person can live with: sessions say where they came from (so a
// user can see and end them), admins issue one-time password-reset links, and
// a server-wide secret keys the sign-in form's pre-session CSRF tokens.
const SESSION_COLUMNS = ['user_agent', 'ip', 'last_seen_at'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const column of SESSION_COLUMNS) await db.schema.alterTable('sessions').addColumn(column, 'text').execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('password_resets_user').on('password_resets').column('user_id').execute();
  await db.schema.createIndex('password_resets_expires').on('password_resets').column('expires_at').execute();

  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('server_secrets').execute();
  await db.schema.dropTable('password_resets').execute();
  for (const column of SESSION_COLUMNS) await db.schema.alterTable('sessions').dropColumn(column).execute();
}
