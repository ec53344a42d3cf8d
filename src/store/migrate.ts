import { sql, type Kysely } from 'kysely';
import { CustodiaError } from '../core/index.js';
import type { Store } from './open.js';
import type { Migration } from './types.js';

export interface MigrationReport {
  applied: string[];
  pending: string[];
}

interface MigrationTables {
  custodia_migration: { name: string; applied_at: number };
}

/*
 * A small migrator of our own rather than Kysely's: Kysely's introspects every schema of the
 * database to find its tables, which races with other schemas being dropped (parallel test
 * suites) and can pick up another schema's table. Ours looks only at its own table, holds an
 * advisory lock on PostgreSQL (SQLite serializes writers itself), and runs each migration and
 * its record in one transaction.
 */

const LOCK_KEY = 0x637573746f646961n; // "custodia"

/** Runs the modules' migrations that have not run yet, in name order, each in a transaction. */
export async function migrateToLatest(
  store: Store,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const ordered = checkNames(migrations);
  const db = store.tables<MigrationTables>();
  await ensureTable(db);
  const applied: string[] = [];
  const ctx = { dialect: store.dialect, types: store.types };
  for (const migration of ordered) {
    try {
      const ran = await db.transaction().execute(async (tx) => {
        if (store.dialect === 'postgres')
          await sql`select pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`.execute(tx);
        const done = await tx
          .selectFrom('custodia_migration')
          .select('name')
          .where('name', '=', migration.name)
          .executeTakeFirst();
        if (done) return false;
        await migration.up(tx as unknown as Kysely<unknown>, ctx);
        await tx
          .insertInto('custodia_migration')
          .values({ name: migration.name, applied_at: Date.now() })
          .execute();
        return true;
      });
      if (ran) applied.push(migration.name);
    } catch (error) {
      throw new CustodiaError('internal', `migration ${migration.name} failed: ${(error as Error).message}`, {
        hint: 'the database is left at the last migration that succeeded; fix the cause and run `custodia migrate`',
        zh: `数据库迁移 ${migration.name} 失败`,
        cause: error,
      });
    }
  }
  return { applied, pending: [] };
}

/** Which migrations have run and which have not, without running any. */
export async function migrationStatus(
  store: Store,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const ordered = checkNames(migrations);
  const db = store.tables<MigrationTables>();
  await ensureTable(db);
  const done = new Set(
    (await db.selectFrom('custodia_migration').select('name').execute()).map((r) => r.name),
  );
  return {
    applied: ordered.filter((m) => done.has(m.name)).map((m) => m.name),
    pending: ordered.filter((m) => !done.has(m.name)).map((m) => m.name),
  };
}

async function ensureTable(db: Kysely<MigrationTables>): Promise<void> {
  await db.schema
    .createTable('custodia_migration')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute()
    .catch(async (error: unknown) => {
      // Two processes creating it at once: one wins, the other finds it there.
      const exists = await db
        .selectFrom('custodia_migration')
        .select('name')
        .limit(1)
        .execute()
        .then(
          () => true,
          () => false,
        );
      if (!exists) throw error;
    });
}

function checkNames(migrations: readonly Migration[]): Migration[] {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new CustodiaError('internal', `two migrations are named ${m.name}`);
    names.add(m.name);
  }
  return [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
