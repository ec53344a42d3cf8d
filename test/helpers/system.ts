import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  createLogger,
  createServer,
  loadConfig,
  openSystem,
  ALL_MIGRATIONS,
  type System,
} from '../../src/app/index.js';
import { openTestStore } from '../../src/store/testing.js';
import type { Dialect } from '../../src/store/index.js';

export const TEST_PASSWORD = 'test-password-0123';

/** Captures log lines, so tests can prove what is and is not logged. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestSystem {
  system: System;
  app: FastifyInstance;
  logs: LogSink;
  dispose(): Promise<void>;
}

/** A whole Custodia (all modules, HTTP server not listening) on a fresh database of the dialect. */
export async function startTestSystem(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TestSystem> {
  const t = await openTestStore(dialect, ALL_MIGRATIONS);
  const config = loadConfig(
    { CUSTODIA_DATA_DIR: t.dataDir, CUSTODIA_LOG_LEVEL: 'info', ...env },
    { cwd: t.dataDir },
  );
  const system = await openSystem(config, { store: t.store });
  const logs = new LogSink();
  const app = await createServer(system, createLogger('info', logs));
  await app.ready();
  return {
    system,
    app,
    logs,
    dispose: async () => {
      await app.close();
      await t.dispose();
    },
  };
}

/** Creates an organization and a user with the roles, returns a logged-in access token. */
export async function loginAs(
  ts: TestSystem,
  username: string,
  roles: string[],
  orgName = 'Test Hospital',
): Promise<string> {
  const { directory, tenantId } = ts.system;
  const org =
    (await directory.findOrganizationByName(tenantId, orgName)) ??
    (await directory.createOrganization(tenantId, { name: orgName, type: 'hospital' }));
  if (!(await directory.findUser(tenantId, username))) {
    await directory.createUser(tenantId, { username, orgId: org.id, roles, password: TEST_PASSWORD });
  }
  const res = await ts.app.inject({
    method: 'POST',
    url: '/auth/token',
    payload: { username, password: TEST_PASSWORD },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}
