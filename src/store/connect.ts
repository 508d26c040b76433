// Opens a Kysely instance for the configured database URL.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { NodeSqliteDialect } from './node-sqlite.ts';
import { SERVER_PREPARED } from './prepared.ts';
import { StoreUnavailableError } from './unavailable.ts';
import type { StoreAvailability } from './availability.ts';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(databaseUrl: string): Dialect {
  return databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export interface ConnectOptions {
  /**
   * The longest a PostgreSQL connection attempt, and a query, may take, in ms;
   * 0 for none (a query of a migration, which may build an index). Without
   * them, a database that accepts connections but never answers hangs every
   * request, the start-up and the stop.
   */
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  /** Told of every error that means an outage; while it says down, no connection is tried. */
  availability?: StoreAvailability;
}

/** A connection pool's use (PostgreSQL), for metrics. */
export interface PoolUsage {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface Connection {
  db: Kysely<Database>;
  /** PostgreSQL's pool; none on SQLite. */
  pool?: PoolUsage;
  /** One round trip to the database, outside the pool's gate: the availability probe. */
  ping(): Promise<void>;
}

export function connect(databaseUrl: string, options: ConnectOptions = { connectTimeoutMs: 0, queryTimeoutMs: 0 }): Connection {
  if (dialectOf(databaseUrl) === 'sqlite') {
    const path = databaseUrl.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new Kysely<Database>({ dialect: new NodeSqliteDialect(path) });
    return { db, ping: async () => void await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute() };
  }
  const { connectTimeoutMs, queryTimeoutMs, availability } = options;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    keepAlive: true,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(queryTimeoutMs > 0 ? {
      // The client gives up on a silent server; the server cancels a statement that runs too long.
      query_timeout: queryTimeoutMs,
      statement_timeout: queryTimeoutMs,
      idle_in_transaction_session_timeout: Math.max(queryTimeoutMs * 4, 10_000),
    } : {}),
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (error) => availability?.failed(error));
  // Named statements (below) are planned once, not per call: their parameters
  // are keys and JSON, whose values never change the best plan.
  pool.on('connect', (client) => void client.query('SET plan_cache_mode = force_generic_plan').catch(() => {}));
  const checkout = async () => {
    if (availability && !availability.up) throw new StoreUnavailableError(`the database is unavailable (${availability.status.reason})`);
    try {
      return preparing(await pool.connect(), availability);
    } catch (error) {
      availability?.failed(error);
      throw error;
    }
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: { connect: checkout, end: () => pool.end() } }) });
  return { db, pool, ping: async () => void await pool.query('select 1') };
}

const patched = new WeakSet<pg.PoolClient>();
const broken = new WeakSet<pg.PoolClient>();
const names = new Map<string, string>();

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it
 * at each call. The engine's commit, a long statement, spent 0.5 ms of the
 * server's CPU a run on that; named, it is parsed once per connection and
 * its plan cached. Only texts marked SERVER_PREPARED are named.
 */
function preparing(client: pg.PoolClient, availability: StoreAvailability | undefined): pg.PoolClient {
  if (patched.has(client)) return client;
  patched.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  // A query that timed out may still be running on its connection, which
  // would hold up the next caller: such a connection is closed, not reused.
  const failed = (error: unknown) => {
    if (availability?.failed(error) ?? false) broken.add(client);
    throw error;
  };
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    // The pool's own query (the availability probe) passes a callback: left as it is.
    if (typeof values === 'function' || callback !== undefined) return query(text, values, callback);
    if (typeof text !== 'string' || !text.startsWith(SERVER_PREPARED)) return query(text, values).catch(failed);
    let name = names.get(text);
    if (name === undefined) {
      name = `gh_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return query({ name, text, values }).catch(failed);
  };
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => release(error ?? (broken.has(client) ? true : undefined));
  return client;
}
