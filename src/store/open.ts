import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CustodiaError, unavailable } from '../core/index.js';
import { cachingDatabase } from './statement-cache.js';
import { columnTypes, type ColumnTypes, type Dialect } from './types.js';

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; unset for the embedded SQLite file in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to work in (tests use one each); default `public`. */
  schema?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export interface Store {
  readonly dialect: Dialect;
  readonly types: ColumnTypes;
  /** Where the data lives, without credentials: for logs and the health report. */
  readonly location: string;
  /** PostgreSQL schema the tables live in (undefined for SQLite). */
  readonly schema: string | undefined;
  /** The database seen through one module's table types: each module declares only its own. */
  tables<T>(): Kysely<T>;
  /** Throws `unavailable` when the database does not answer. */
  ping(): Promise<void>;
  /**
   * Brings the query planner's statistics up to date after bulk writes (an import), so that it
   * drives a search from the selective index. SQLite keeps none until asked (`pragma optimize`
   * analyzes the tables that changed enough); PostgreSQL's autovacuum keeps them on its own.
   */
  refreshStatistics(): Promise<void>;
  close(): Promise<void>;
}

// PostgreSQL int8 arrives as a string by default; our bigints are epoch-ms and counters.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export const SQLITE_FILE = 'custodia.db';

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openSqlite(options.dataDir);
}

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, SQLITE_FILE);
  const database = new BetterSqlite3(path);
  // WAL lets readers run beside the writer; synchronous=FULL makes a commit durable (fsynced)
  // before it returns, as the API promises; the busy timeout covers the CLI writing beside the server.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('cache_size = -65536');
  // Planner statistics for every table that changed enough since it was last analyzed, each
  // analysis sampling a bounded number of rows so that a large file opens quickly.
  database.pragma('analysis_limit = 1000');
  database.pragma('optimize = 0x10002');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: cachingDatabase(database) }) });
  return {
    dialect: 'sqlite',
    types: columnTypes('sqlite'),
    location: path,
    schema: undefined,
    tables: <T>() => db as unknown as Kysely<T>,
    ping: async () => {
      database.prepare('select 1').get();
    },
    refreshStatistics: async () => {
      database.pragma('optimize = 0x10002');
    },
    close: () => db.destroy(),
  };
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const schema = options.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    options: `-c search_path=${schema}`,
  });
  // A pool emits 'error' when an idle connection dies (server restarted): without a listener the
  // process would crash; the next query reconnects instead, and until then ping() reports 503.
  pool.on('error', () => undefined);
  // A client in use whose connection drops emits 'error' beside rejecting its query; the rejection
  // is what we act on, so the event needs a listener or it would take the process down.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  const location = redactUrl(url);
  const ping = async () => {
    try {
      await sql`select 1`.execute(db);
    } catch (cause) {
      throw unavailable(`PostgreSQL at ${location} does not answer`, {
        hint: 'check that the server is running and CUSTODIA_DATABASE_URL is right',
        zh: `无法连接 PostgreSQL（${location}）`,
        retryAfter: 5,
        cause,
      });
    }
  };
  try {
    await ping();
  } catch (e) {
    await db.destroy();
    throw e;
  }
  if (schema !== 'public') await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  return {
    dialect: 'postgres',
    types: columnTypes('postgres'),
    location,
    schema,
    tables: <T>() => db as unknown as Kysely<T>,
    ping,
    // Autovacuum analyzes a table once a tenth of it changed, within a minute: an explicit
    // ANALYZE after every imported file would cost more than it saves.
    refreshStatistics: async () => undefined,
    close: () => db.destroy(),
  };
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`: never log a password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'an unparseable database URL';
  }
}

/** True for errors that mean the database is gone for now (connection refused, reset, shut down). */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof CustodiaError) return error.code === 'unavailable';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      '57P01',
      '57P02',
      '57P03',
      '08006',
      '08001',
      '08003',
    ].includes(code) || /Connection terminated/i.test(String((error as Error).message))
  );
}
