// A Kysely dialect for node:sqlite. Kysely's own SqliteDialect funnels every
// query through one mutex whose waiters all wake at each release; with ten
// requests in flight that cost more than the queries themselves (measured:
// about 65 µs of a 165 µs API read). node:sqlite is synchronous, so a
// statement outside a transaction cannot interleave with anything and needs
// no lock: it runs at once. Only a transaction, which spans awaits, takes the
// write lock (first come, first served), and writes arriving meanwhile queue
// behind it. Reads outside a transaction go to a second connection, which in
// WAL mode sees every committed write and never waits for an open transaction.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery, SelectQueryNode, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult,
} from 'kysely';

const STATEMENT_CACHE_SIZE = 500;

function bind(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}

/** A prepared statement; a reader's rows come back as arrays, named in JS (`columns`). */
interface Prepared {
  stmt: StatementSync;
  /** The result's column names; null for a statement that returns no rows. */
  columns: string[] | null;
}

/**
 * Rows as objects. node:sqlite can make them itself, but it creates each
 * column's name string anew for every row through the C++ API: for the
 * refresh grant's one 14-column row that cost more than the query (measured:
 * 13.1 µs against 9.3 µs for arrays named here).
 */
function named<R>(columns: string[], rows: unknown[][]): R[] {
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row as R;
  });
}

/** One node:sqlite connection, with its prepared statements kept by SQL text. */
class SqliteConnection {
  readonly #db: DatabaseSync;
  // Kysely sends the same SQL text for the same query shape, so preparing each
  // text once saves a parse on every request.
  readonly #statements = new Map<string, Prepared>();

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec('PRAGMA busy_timeout = 5000');
  }

  execute<R>({ sql, parameters }: CompiledQuery): QueryResult<R> {
    const { stmt, columns } = this.#statement(sql);
    if (columns) return { rows: named<R>(columns, stmt.all(...bind(parameters)) as unknown as unknown[][]) };
    const { changes, lastInsertRowid } = stmt.run(...bind(parameters));
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  *iterate<R>({ sql, parameters }: CompiledQuery): Generator<QueryResult<R>> {
    const { stmt, columns } = this.#statement(sql);
    for (const values of stmt.iterate(...bind(parameters))) yield { rows: columns ? named<R>(columns, [values as unknown as unknown[]]) : [] };
  }

  exec(sql: string): void {
    this.#db.exec(sql);
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #statement(sql: string): Prepared {
    let entry = this.#statements.get(sql);
    if (!entry) {
      const stmt = this.#db.prepare(sql);
      const columns = stmt.columns().map((c) => c.name);
      if (columns.length > 0) stmt.setReturnArrays(true);
      entry = { stmt, columns: columns.length > 0 ? columns : null };
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      this.#statements.set(sql, entry);
    }
    return entry;
  }
}

/** A first-come, first-served lock: a release wakes only the next waiter. */
class WriteLock {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  get held(): boolean {
    return this.#held;
  }

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#held = false;
  }
}

/**
 * What Kysely holds between acquireConnection and releaseConnection: a handle
 * on the driver that knows whether it is inside a transaction.
 */
class Handle implements DatabaseConnection {
  inTransaction = false;
  readonly #driver: NodeSqliteDriver;
  constructor(driver: NodeSqliteDriver) {
    this.#driver = driver;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(query, this.inTransaction);
  }
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only select queries');
    yield* this.#driver.iterate<R>(query, this.inTransaction);
  }
}

export class NodeSqliteDriver implements Driver {
  readonly #path: string;
  #writer?: SqliteConnection;
  /** Absent for an in-memory database, where a second connection would be another database. */
  #reader?: SqliteConnection;
  readonly #lock = new WriteLock();

  constructor(path: string) {
    this.#path = path;
  }

  async init(): Promise<void> {
    this.#writer = new SqliteConnection(this.#path);
    if (this.#path !== ':memory:' && this.#path !== '') this.#reader = new SqliteConnection(this.#path);
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(new Handle(this));
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#lock.acquire();
    try {
      // IMMEDIATE: take SQLite's write lock now, so that a transaction never
      // fails half-way upgrading from read to write against another process.
      this.#writer!.exec('BEGIN IMMEDIATE');
    } catch (error) {
      this.#lock.release();
      throw error;
    }
    (connection as Handle).inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#end(connection as Handle, 'COMMIT');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#end(connection as Handle, 'ROLLBACK');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // Kysely always commits or rolls back first; this only guards against a lost lock.
    if ((connection as Handle).inTransaction) this.#end(connection as Handle, 'ROLLBACK');
  }

  async destroy(): Promise<void> {
    this.#reader?.close();
    this.#writer?.close();
  }

  /** Runs one statement: in its transaction, at once if it can, or after the open transaction. */
  async execute<R>(query: CompiledQuery, inTransaction: boolean): Promise<QueryResult<R>> {
    if (inTransaction) return this.#writer!.execute<R>(query);
    if (this.#reader && SelectQueryNode.is(query.query)) return this.#reader.execute<R>(query);
    if (!this.#lock.held) return this.#writer!.execute<R>(query);
    await this.#lock.acquire();
    try {
      return this.#writer!.execute<R>(query);
    } finally {
      this.#lock.release();
    }
  }

  async *iterate<R>(query: CompiledQuery, inTransaction: boolean): AsyncGenerator<QueryResult<R>> {
    if (inTransaction || !this.#reader) {
      if (!inTransaction) await this.#lock.acquire();
      try {
        yield* this.#writer!.iterate<R>(query);
      } finally {
        if (!inTransaction) this.#lock.release();
      }
      return;
    }
    yield* this.#reader.iterate<R>(query);
  }

  #end(handle: Handle, statement: 'COMMIT' | 'ROLLBACK'): void {
    handle.inTransaction = false;
    try {
      this.#writer!.exec(statement);
    } finally {
      this.#lock.release();
    }
  }
}

/** Kysely's SQLite dialect on node:sqlite, through NodeSqliteDriver. */
export class NodeSqliteDialect implements Dialect {
  readonly #path: string;
  constructor(path: string) {
    this.#path = path;
  }
  createDriver(): Driver {
    return new NodeSqliteDriver(this.#path);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
