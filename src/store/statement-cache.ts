import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LruCache } from '../core/index.js';

/**
 * A better-sqlite3 database whose `prepare` reuses compiled statements by their SQL text. Kysely
 * prepares every query it runs, and compiling the statement costs more than running it for the
 * point reads and bulk inserts of the hot paths. Reuse is safe: Kysely runs one query at a time
 * on the connection, and a statement holds no state between runs.
 *
 * Transactions begin IMMEDIATE (Kysely sends a plain, deferred `begin`). Other connections write
 * the same file (the ledger's writer thread, a CLI beside the server): a deferred transaction that
 * read before another connection committed cannot then write, and SQLite fails it at once with
 * SQLITE_BUSY instead of waiting. Taking the write lock at `begin` makes it wait its turn.
 */
export function cachingDatabase(database: BetterSqlite3.Database, capacity = 512): SqliteDatabase {
  const cache = new LruCache<string, SqliteStatement>(capacity);
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (query: string): SqliteStatement => {
      const text = query === 'begin' ? 'begin immediate' : query;
      let statement = cache.get(text);
      if (statement === undefined) cache.set(text, (statement = database.prepare(text)));
      return statement;
    },
  };
}
