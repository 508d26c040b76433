// Opens a Kysely instance for the configured database URL.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { NodeSqliteDialect } from './node-sqlite.ts';
import { SERVER_PREPARED } from './prepared.ts';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(databaseUrl: string): Dialect {
  return databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export function connect(databaseUrl: string): Kysely<Database> {
  if (dialectOf(databaseUrl) === 'sqlite') {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    return new Kysely<Database>({ dialect: new NodeSqliteDialect(path) });
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  // Named statements (below) are planned once, not per call: their parameters
  // are keys and JSON, whose values never change the best plan.
  pool.on('connect', (client) => void client.query('SET plan_cache_mode = force_generic_plan').catch(() => {}));
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: { connect: async () => preparing(await pool.connect()), end: () => pool.end() } }),
  });
}

const patched = new WeakSet<pg.PoolClient>();
const names = new Map<string, string>();

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it
 * at each call. The engine's commit, a long statement, spent 0.5 ms of the
 * server's CPU a run on that; named, it is parsed once per connection and
 * its plan cached. Only texts marked SERVER_PREPARED are named.
 */
function preparing(client: pg.PoolClient): pg.PoolClient {
  if (patched.has(client)) return client;
  patched.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown[]) => {
    if (typeof text !== 'string' || !text.startsWith(SERVER_PREPARED)) return query(text, values);
    let name = names.get(text);
    if (name === undefined) {
      name = `gh_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return query({ name, text, values });
  };
  return client;
}
