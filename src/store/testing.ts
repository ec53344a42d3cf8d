import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { migrateToLatest } from './migrate.js';
import { openStore, type Store } from './open.js';
import type { Dialect, Migration } from './types.js';

/**
 * Test support: the dialects a suite should run on. SQLite always; PostgreSQL when
 * CUSTODIA_TEST_DATABASE_URL is set (CI sets it), otherwise the suite says it skipped it.
 */
export const testDialects = (): { dialect: Dialect; skip: string | false }[] => [
  { dialect: 'sqlite', skip: false },
  {
    dialect: 'postgres',
    skip: process.env.CUSTODIA_TEST_DATABASE_URL
      ? false
      : 'PostgreSQL: set CUSTODIA_TEST_DATABASE_URL to run',
  },
];

export interface TestStore {
  store: Store;
  dataDir: string;
  dispose(): Promise<void>;
}

/** A fresh, migrated store: a temporary SQLite file, or a PostgreSQL schema of its own. */
export async function openTestStore(
  dialect: Dialect,
  migrations: readonly Migration[] = [],
): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodia-test-'));
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const databaseUrl = dialect === 'postgres' ? process.env.CUSTODIA_TEST_DATABASE_URL : undefined;
  if (dialect === 'postgres' && !databaseUrl) throw new Error('CUSTODIA_TEST_DATABASE_URL is not set');
  const store = await openStore({ databaseUrl, dataDir, schema, poolSize: 4 });
  const dropSchema = () => sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.tables());
  try {
    await migrateToLatest(store, migrations);
  } catch (e) {
    if (dialect === 'postgres') await dropSchema().catch(() => undefined);
    await store.close();
    throw e;
  }
  return {
    store,
    dataDir,
    dispose: async () => {
      if (dialect === 'postgres')
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.tables());
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
