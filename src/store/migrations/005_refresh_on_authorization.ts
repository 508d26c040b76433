import type { Kysely } from 'kysely';

// Each authorization holds its refresh-token family's state in its own row,
// rotated in place by one conditional update, instead of one row per token
// (an insert and an update per refresh). Refresh tokens issued before this
// migration stop working: their holders sign in again.
const COLUMNS = [
  'refresh_handle', 'refresh_hash', 'refresh_previous_hash', 'refresh_rotated_at', 'refresh_nonce', 'refresh_issued_at', 'refresh_expires_at',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  for (const column of COLUMNS) await db.schema.alterTable('authorizations').addColumn(column, 'text').execute();
  await db.schema.createIndex('authorizations_refresh_handle').on('authorizations').column('refresh_handle').unique().execute();
  await db.schema.dropTable('refresh_tokens').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('refresh_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('authorization_id', 'text', (c) => c.notNull().references('authorizations.id').onDelete('cascade'))
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('refresh_tokens_authorization').on('refresh_tokens').column('authorization_id').execute();
  await db.schema.dropIndex('authorizations_refresh_handle').execute();
  for (const column of COLUMNS) await db.schema.alterTable('authorizations').dropColumn(column).execute();
}
