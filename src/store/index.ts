export {
  openStore,
  redactUrl,
  isConnectionError,
  SQLITE_FILE,
  type Store,
  type StoreOptions,
} from './open.js';
export { migrateToLatest, migrationStatus, type MigrationReport } from './migrate.js';
export { columnTypes, type ColumnTypes, type Dialect, type Migration } from './types.js';
export { insertRows } from './insert-rows.js';
export { preparedQuery, type PreparedQuery, type QueryRunner } from './prepared-query.js';
