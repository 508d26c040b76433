import type { Kysely } from 'kysely';

// A client that sends only its secret (oauthlib's password-grant client) is
// found by the secret's hash.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('clients_secret_hash').on('clients').column('secret_hash').execute();
  await db.schema.createIndex('clients_previous_secret_hash').on('clients').column('previous_secret_hash').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('clients_previous_secret_hash').execute();
  await db.schema.dropIndex('clients_secret_hash').execute();
}
