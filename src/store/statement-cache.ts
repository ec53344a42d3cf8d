import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * A better-sqlite3 database whose `prepare` reuses compiled statements by their SQL text. Kysely
 * prepares every query it runs, and compiling the statement costs more than running it for the
 * point reads and bulk inserts of the hot paths. Reuse is safe: Kysely runs one query at a time
 * on the connection, and a statement holds no state between runs.
 */
export function cachingDatabase(database: BetterSqlite3.Database, capacity = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (text: string): SqliteStatement => {
      const hit = cache.get(text);
      if (hit !== undefined) {
        // Least recently used first: re-inserting moves a hit to the end of the Map's order.
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const statement = database.prepare(text);
      if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
      cache.set(text, statement);
      return statement;
    },
  };
}
