import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { isStoreUnavailable } from './unavailable.ts';
import * as initial from './migrations/001_initial.ts';
import * as userGrants from './migrations/002_user_grants.ts';
import * as tokensAndDevices from './migrations/003_tokens_and_devices.ts';
import * as clientSecretLookup from './migrations/004_client_secret_lookup.ts';
import * as refreshOnAuthorization from './migrations/005_refresh_on_authorization.ts';
import * as accounts from './migrations/006_accounts.ts';
import * as engine from './migrations/007_engine.ts';
import * as auditLog from './migrations/008_audit_log.ts';
import * as keyRotation from './migrations/009_key_rotation.ts';

// Migrations are listed here, not read from disk, so the set is fixed at build time.
const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_user_grants': userGrants,
  '003_tokens_and_devices': tokensAndDevices,
  '004_client_secret_lookup': clientSecretLookup,
  '005_refresh_on_authorization': refreshOnAuthorization,
  '006_accounts': accounts,
  '007_engine': engine,
  '008_audit_log': auditLog,
  '009_key_rotation': keyRotation,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const schema = await currentSchema(db);
  // The common case, every start and every CLI call: nothing to do, known
  // with one query instead of Kysely's introspection of the whole database.
  if (await upToDate(db, schema)) return [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await runMigrator(db, schema);
    } catch (error) {
      // Kysely introspects every schema of the database; one dropped meanwhile
      // (another tenant's, another test's) fails that query with 3F000. Try again.
      if ((error as { code?: string }).code !== '3F000' || attempt === 3) throw error;
    }
  }
}

async function runMigrator(db: Kysely<any>, schema: string | undefined): Promise<string[]> {
  // Kysely looks for its migration tables in every schema unless told which
  // one: with another schema's tables in the same PostgreSQL database it skips
  // creating them here, then fails (kysely-org/kysely#1214).
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True if every migration this code knows is applied (readiness, and start-up's quick check). */
export async function migrationsApplied(db: Kysely<any>): Promise<boolean> {
  return upToDate(db, await currentSchema(db));
}

/** True if every known migration is recorded as applied; false if not, or if there is no record yet. */
async function upToDate(db: Kysely<any>, schema: string | undefined): Promise<boolean> {
  const table = schema ? sql.table(`${schema}.kysely_migration`) : sql.table('kysely_migration');
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    const applied = new Set(rows.map((r) => r.name));
    return Object.keys(migrations).every((name) => applied.has(name));
  } catch (error) {
    // No table yet means no migration yet; a database that does not answer is an error of its own.
    if (isStoreUnavailable(error)) throw error;
    return false;
  }
}

/** PostgreSQL's current schema (the first of search_path); undefined on SQLite, which has none. */
async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    return rows[0]?.schema ?? undefined;
  } catch (error) {
    if (isStoreUnavailable(error)) throw error;
    return undefined;
  }
}
