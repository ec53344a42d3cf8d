import type { Compilable, CompiledQuery, QueryResult } from 'kysely';

/** Where a prepared query's value goes: built in place of a value, filled in on each run. */
class Slot<K extends string> {
  constructor(readonly name: K) {}
}

/**
 * A query built and compiled once, then run with new values. Kysely builds and compiles a query
 * on every call (immutable nodes, a visitor pass: about a tenth of a governed read), which is
 * waste for the few fixed queries on hot paths. `build` receives `slot(name)` to put where each
 * value goes; its type is `never` so that it fits any column's value type.
 */
export function preparedQuery<K extends string, R>(
  build: (slot: (name: K) => never) => Compilable<R>,
): PreparedQuery<K, R> {
  const compiled = build((name) => new Slot(name) as never).compile();
  const fill = compiled.parameters.map((p) =>
    p instanceof Slot ? (values: Record<K, unknown>) => values[p.name as K] : () => p,
  );
  return {
    run: (db, values) =>
      db.executeQuery<R>({ ...compiled, parameters: fill.map((f) => f(values)) } as CompiledQuery<R>),
  };
}

export interface PreparedQuery<K extends string, R> {
  /** Runs the query on `db` (a database or a transaction of the same dialect as when built). */
  run(db: QueryRunner, values: Record<K, unknown>): Promise<QueryResult<R>>;
}

/** What runs a compiled query: a Kysely database or transaction. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}
