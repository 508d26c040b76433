import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/001_initial.ts';
import * as userGrants from './migrations/002_user_grants.ts';
import * as tokensAndDevices from './migrations/003_tokens_and_devices.ts';

// Migrations are listed here, not read from disk, so the set is fixed at build time.
const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_user_grants': userGrants,
  '003_tokens_and_devices': tokensAndDevices,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
