import { sql, type Kysely } from 'kysely';

// Signing keys rotate: a key is published (in the JWKS) from created_at, signs
// from activates_at, stops signing at retired_at (when its successor
// activates) and leaves the JWKS at removes_at, once its last token expired.
export async function up(db: Kysely<any>): Promise<void> {
  // One column per statement: SQLite's ALTER TABLE adds one at a time.
  await db.schema.alterTable('signing_keys').addColumn('activates_at', 'text').execute();
  await db.schema.alterTable('signing_keys').addColumn('removes_at', 'text').execute();
  await db.updateTable('signing_keys').set({ activates_at: sql`created_at` }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('signing_keys').dropColumn('removes_at').execute();
  await db.schema.alterTable('signing_keys').dropColumn('activates_at').execute();
}
