import { Migrator, type Kysely, type MigrationProvider, type Migration as KyselyMigration } from 'kysely';
import { CustodiaError } from '../core/index.js';
import type { Store } from './open.js';
import type { Migration } from './types.js';

export interface MigrationReport {
  applied: string[];
  pending: string[];
}

/** Runs the modules' migrations that have not run yet, in name order, each in a transaction. */
export async function migrateToLatest(
  store: Store,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const migrator = makeMigrator(store, migrations);
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CustodiaError('internal', `migration ${failed} failed: ${(error as Error).message}`, {
      hint: 'the database is left at the last migration that succeeded; fix the cause and run `custodia migrate`',
      cause: error,
    });
  }
  return { applied: (results ?? []).map((r) => r.migrationName), pending: [] };
}

/** Which migrations have run and which have not, without running any. */
export async function migrationStatus(
  store: Store,
  migrations: readonly Migration[],
): Promise<MigrationReport> {
  const all = await makeMigrator(store, migrations).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

function makeMigrator(store: Store, migrations: readonly Migration[]): Migrator {
  const names = new Set<string>();
  for (const m of migrations) {
    if (names.has(m.name)) throw new CustodiaError('internal', `two migrations are named ${m.name}`);
    names.add(m.name);
  }
  const ctx = { dialect: store.dialect, types: store.types };
  const provider: MigrationProvider = {
    getMigrations: async () =>
      Object.fromEntries(
        migrations.map((m): [string, KyselyMigration] => [
          m.name,
          { up: (db: Kysely<unknown>) => m.up(db, ctx) },
        ]),
      ),
  };
  return new Migrator({
    db: store.tables<unknown>(),
    provider,
    migrationTableName: 'custodia_migration',
    migrationLockTableName: 'custodia_migration_lock',
  });
}
