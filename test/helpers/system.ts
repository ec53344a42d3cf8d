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
import { systemClock, type Clock } from '../../src/core/index.js';

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

const HOUR_MS = 3_600_000;

/**
 * The real clock, except outside 08:00–20:00 China Standard Time, where it runs from 10:00 of the
 * same day instead: the default policy keeps secondary uses to working hours, and a suite must
 * not pass or fail by the hour CI happens to run it. Time still passes (tokens expire, locks lift).
 */
export function workingHoursClock(): Clock {
  const hour = ((Math.floor((Date.now() + 8 * HOUR_MS) / HOUR_MS) % 24) + 24) % 24;
  if (hour >= 8 && hour < 19) return systemClock;
  const cstDay = Math.floor((Date.now() + 8 * HOUR_MS) / (24 * HOUR_MS));
  const tenOClock = cstDay * 24 * HOUR_MS + 10 * HOUR_MS - 8 * HOUR_MS;
  const offset = tenOClock - Date.now();
  return { now: () => Date.now() + offset };
}

/**
 * A clock a test moves forward by hand, on top of another (by default `workingHoursClock`): a
 * grant or a declaration expires without the test waiting for it, and time still passes.
 */
export class AdjustableClock implements Clock {
  private offset = 0;
  constructor(private readonly base: Clock = workingHoursClock()) {}
  now(): number {
    return this.base.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface TestSystem {
  system: System;
  app: FastifyInstance;
  logs: LogSink;
  dispose(): Promise<void>;
}

/**
 * A whole Custodia (all modules, HTTP server not listening) on a fresh database of the dialect.
 * Care relationships follow the open-hospital model (every clinician of a hospital cares for its
 * patients) unless `env` says `CUSTODIA_CARE_RELATIONSHIP=records`: most suites test other things
 * than who treats whom, and policy suites choose the records model themselves. The system's clock
 * is `workingHoursClock()` unless `options.clock` gives another (an `AdjustableClock` to expire
 * things without waiting).
 */
export async function startTestSystem(
  dialect: Dialect,
  env: Record<string, string> = {},
  options: { clock?: Clock } = {},
): Promise<TestSystem> {
  const t = await openTestStore(dialect, ALL_MIGRATIONS);
  const config = loadConfig(
    {
      CUSTODIA_DATA_DIR: t.dataDir,
      CUSTODIA_LOG_LEVEL: 'info',
      CUSTODIA_CARE_RELATIONSHIP: 'organization',
      ...env,
    },
    { cwd: t.dataDir },
  );
  const system = await openSystem(config, { store: t.store, clock: options.clock ?? workingHoursClock() });
  const logs = new LogSink();
  const app = await createServer(system, createLogger('info', logs));
  await app.ready();
  return {
    system,
    app,
    logs,
    dispose: async () => {
      await app.close();
      // Nothing may still query (the ledger's indexer rounds, the catalog sync) while the
      // PostgreSQL schema is dropped: that deadlocked once.
      await system.stop();
      await t.dispose();
    },
  };
}

/** The purpose a test user declares at login unless told otherwise: what their role usually does. */
function usualPurpose(roles: readonly string[]): string | undefined {
  if (roles.includes('clinician') || roles.includes('nurse')) return 'TREAT';
  if (roles.includes('patient')) return 'PATRQT';
  return undefined;
}

export interface LoginOptions {
  /** The purpose of use the token carries; null for none. Default: TREAT for carers, PATRQT for patients. */
  purpose?: string | null;
  /** A practising-licence number; carers get one made from their username by default. */
  licence?: string;
}

/**
 * Creates an organization and a user with the roles (clinicians and nurses with a practising
 * licence), returns a logged-in access token that carries a purpose of use.
 */
export async function loginAs(
  ts: TestSystem,
  username: string,
  roles: string[],
  orgName = 'Test Hospital',
  options: LoginOptions = {},
): Promise<string> {
  const { directory, tenantId } = ts.system;
  const org =
    (await directory.findOrganizationByName(tenantId, orgName)) ??
    (await directory.createOrganization(tenantId, { name: orgName, type: 'hospital' }));
  const carer = roles.includes('clinician') || roles.includes('nurse');
  const licence = options.licence ?? (carer ? `lic-${username}` : undefined);
  if (!(await directory.findUser(tenantId, username))) {
    await directory.createUser(tenantId, {
      username,
      orgId: org.id,
      roles,
      password: TEST_PASSWORD,
      ...(licence === undefined ? {} : { qualifications: [{ type: 'practising-licence', value: licence }] }),
    });
  }
  const purpose = options.purpose === undefined ? usualPurpose(roles) : (options.purpose ?? undefined);
  const res = await ts.app.inject({
    method: 'POST',
    url: '/auth/token',
    payload: {
      username,
      password: TEST_PASSWORD,
      ...(purpose === undefined ? {} : { purpose_of_use: purpose }),
    },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return (res.json() as { access_token: string }).access_token;
}
