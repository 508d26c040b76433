// A migrated store on a fresh database (a temp SQLite file, or a new
// PostgreSQL schema when TEST_DATABASE_URL is set), for tests of the store
// and the parts right above it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KyselyStore } from '../../src/store/kysely-store.ts';
import { freshDatabase } from './server.ts';

export interface FreshStore {
  store: KyselyStore;
  url: string;
  /** Closes the store and drops its database. */
  close(): Promise<void>;
}

export async function freshStore(label: string): Promise<FreshStore> {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-${label}-`));
  const database = await freshDatabase(dir);
  const store = KyselyStore.open(database.url);
  await store.migrate();
  return {
    store,
    url: database.url,
    async close() {
      await store.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
