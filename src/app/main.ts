import { buildProgram, runProgram, type Runtime } from '../cli/index.js';
import { migrateToLatest, migrationStatus } from '../store/index.js';
import { describeConfig, loadConfig } from './config.js';
import { seedDemo, type DemoLogin } from './demo.js';
import { createLogger } from './logger.js';
import { createServer } from './server.js';
import { ALL_MIGRATIONS, openDatabase, openLedgerStore, openSystem } from './system.js';
import { VERSION } from './version.js';

const load = (configFile: string | undefined) => loadConfig(process.env, configFile ? { configFile } : {});

export const runtime: Runtime = {
  version: VERSION,

  describeConfig: (configFile) => describeConfig(load(configFile)),

  async init(configFile) {
    const config = load(configFile);
    const system = await openSystem(config);
    try {
      const applied = system.appliedMigrations;
      return {
        dataDir: config.dataDir,
        database: system.store.location,
        keyring: system.keys.kind,
        masterKey: config.masterKey ? 'from CUSTODIA_MASTER_KEY' : config.masterKeyFile,
        migrations: applied,
      };
    } finally {
      await system.close();
    }
  },

  async migrate(configFile, { statusOnly }) {
    const store = await openDatabase(load(configFile));
    try {
      return statusOnly
        ? await migrationStatus(store, ALL_MIGRATIONS)
        : await migrateToLatest(store, ALL_MIGRATIONS);
    } finally {
      await store.close();
    }
  },

  async withContext(configFile, work) {
    const system = await openSystem(load(configFile));
    try {
      return await work(system);
    } finally {
      await system.close();
    }
  },

  async withLedgerStore(configFile, work) {
    const ledger = await openLedgerStore(load(configFile));
    try {
      return await work(ledger);
    } finally {
      await ledger.close();
    }
  },

  async serve(configFile, { demo }) {
    const config = load(configFile);
    const logger = createLogger(config.logLevel);
    const system = await openSystem(config, { logger });
    const logins = demo ? await seedDemo(system) : [];
    const app = await createServer(system, logger);
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    printBanner(
      `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
      system.store.location,
      logins,
    );

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        // Fastify's close stops accepting, lets in-flight requests finish, then runs onClose hooks.
        app
          .close()
          .then(() => system.close())
          .catch((e: unknown) => logger.error({ err: e }, 'error during shutdown'))
          .finally(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};

function printBanner(url: string, database: string, logins: DemoLogin[]): void {
  const lines = [
    '',
    `Custodia ${VERSION} is running / Custodia 已启动`,
    `  API:            ${url}`,
    `  API reference:  ${url}/docs`,
    `  Health:         ${url}/health`,
    `  Database:       ${database}`,
  ];
  if (logins.length > 0) {
    lines.push('', 'Demo logins / 演示账号 (POST /auth/token with {"username","password"}):');
    for (const l of logins)
      lines.push(
        `  ${l.username.padEnd(16)} ${l.password.padEnd(20)} ${l.roles.join(',').padEnd(16)} ${l.organization}`,
      );
    lines.push(
      '',
      `  e.g. curl -s ${url}/auth/token -H 'content-type: application/json' -d '{"username":"demo-admin","password":"..."}'`,
    );
  }
  lines.push('', 'Stop with Ctrl-C. 按 Ctrl-C 停止。', '');
  process.stderr.write(lines.join('\n') + '\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  return runProgram(buildProgram(runtime), argv);
}
