import type { Logger } from 'pino';
import { CustodiaError, systemClock, type Clock, type TenantId } from '../core/index.js';
import { catalogMigrations } from '../catalog/index.js';
import { cryptoMigrations, LocalKeyring, type KeyProvider } from '../crypto/index.js';
import { ledgerMigrations } from '../ledger/index.js';
import {
  AccessTokens,
  Authenticator,
  Directory,
  identityMigrations,
  type LoginOutcome,
} from '../identity/index.js';
import { migrateToLatest, openStore, type Migration, type Store } from '../store/index.js';
import type { Config } from './config.js';

/** Every module's migrations, in the order the names give. */
export const ALL_MIGRATIONS: readonly Migration[] = [
  ...identityMigrations,
  ...cryptoMigrations,
  ...catalogMigrations,
  ...ledgerMigrations,
].sort((a, b) => a.name.localeCompare(b.name));

/** The wired modules of one Custodia process: what the server and the CLI commands work with. */
export interface System {
  config: Config;
  tenantId: TenantId;
  clock: Clock;
  store: Store;
  keys: KeyProvider;
  directory: Directory;
  authenticator: Authenticator;
  /** Migrations this open applied (empty when the schema was up to date or migrate was off). */
  appliedMigrations: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  logger?: Logger;
  clock?: Clock;
  /** Run pending migrations (the server and most commands do; `migrate --status` does not). */
  migrate?: boolean;
  /** An already open store (tests give each suite its own PostgreSQL schema this way). */
  store?: Store;
}

export async function openSystem(config: Config, options: OpenOptions = {}): Promise<System> {
  const clock = options.clock ?? systemClock;
  const tenantId = config.tenant as TenantId;
  const store = options.store ?? (await openDatabase(config));
  try {
    const appliedMigrations =
      options.migrate === false ? [] : (await migrateToLatest(store, ALL_MIGRATIONS)).applied;
    const keys = await LocalKeyring.open({
      dataDir: config.dataDir,
      masterKeyFile: config.masterKeyFile,
      env: { CUSTODIA_MASTER_KEY: config.masterKey },
    });
    const signingKey = await keys.signingKey('access-token');
    const tokens = new AccessTokens(signingKey, config.publicUrl, config.accessTokenTtlSeconds, clock);
    const directory = new Directory(store, clock);
    const logger = options.logger;
    const authenticator = new Authenticator(store, directory, tokens, clock, {
      refreshTtlSeconds: config.refreshTokenTtlSeconds,
      onLogin: (_tenant, outcome: LoginOutcome) =>
        logger?.info(
          outcome.outcome === 'success'
            ? { event: 'login', outcome: 'success', user: outcome.user.id }
            : { event: 'login', outcome: 'failure', reason: outcome.reason },
          'login',
        ),
    });
    await authenticator.loadRevocations();
    return {
      config,
      tenantId,
      clock,
      store,
      keys,
      directory,
      authenticator,
      appliedMigrations,
      close: () => store.close(),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export async function openDatabase(config: Config): Promise<Store> {
  try {
    return await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (e) {
    if (e instanceof CustodiaError) throw e;
    throw new CustodiaError('unavailable', `cannot open the database: ${(e as Error).message}`, {
      zh: '无法打开数据库',
      hint: config.databaseUrl
        ? 'check CUSTODIA_DATABASE_URL and that PostgreSQL is running'
        : `check that ${config.dataDir} is writable`,
      cause: e,
    });
  }
}
