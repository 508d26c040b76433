// Queries on the hot paths (the API's read, the refresh grant) are built and
// compiled by Kysely once, then re-bound with each call's values: Kysely's
// builder and compiler cost more than the query itself there.
import type { Compilable, CompiledQuery } from 'kysely';

const MARK = '\u0000param:';

/**
 * Compiles `build` on first use, with a marker in place of each named value;
 * returns a function that binds the values of a call, by name.
 */
export function prepared<Name extends string, Row>(
  build: (param: (name: Name) => string) => Compilable<Row>,
): (values: Record<Name, string | null>) => CompiledQuery<Row> {
  let compiled: CompiledQuery<Row> | undefined;
  let names: Name[] = [];
  return (values) => {
    if (!compiled) {
      compiled = build((name) => `${MARK}${name}`).compile();
      names = compiled.parameters.map((p) => {
        if (typeof p !== 'string' || !p.startsWith(MARK)) throw new Error(`prepared query has a literal parameter: ${compiled!.sql}`);
        return p.slice(MARK.length) as Name;
      });
    }
    return { ...compiled, parameters: names.map((name) => values[name]) };
  };
}

/**
 * PostgreSQL: a statement whose text starts with this comment is prepared on
 * the server once per connection (a named statement), not parsed and planned
 * at every call (see connect.ts). For a fixed set of hot statements only:
 * each distinct text stays prepared on every connection.
 */
export const SERVER_PREPARED = '/* prepared */ ';
