// Adapts node:sqlite's synchronous API to the statement interface that
// Kysely's SqliteDialect expects (the better-sqlite3 shape).
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

const STATEMENT_CACHE_SIZE = 500;

function bind(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === undefined) return null;
    return value as SQLInputValue;
  });
}

export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  // Kysely sends the same SQL text for the same query shape, so preparing each
  // text once saves a parse on every request.
  readonly #statements = new Map<string, { stmt: StatementSync; reader: boolean }>();

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    this.#db.exec('PRAGMA busy_timeout = 5000');
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  prepare(sql: string): SqliteStatement {
    let entry = this.#statements.get(sql);
    if (!entry) {
      const stmt = this.#db.prepare(sql);
      entry = { stmt, reader: stmt.columns().length > 0 };
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.clear();
      this.#statements.set(sql, entry);
    }
    const { stmt, reader } = entry;
    return {
      reader,
      all: (parameters) => stmt.all(...bind(parameters)),
      run: (parameters) => {
        const result = stmt.run(...bind(parameters));
        return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
      },
      iterate: (parameters) => stmt.iterate(...bind(parameters)),
    };
  }
}
