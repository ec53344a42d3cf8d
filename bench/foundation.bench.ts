/**
 * Foundation figures: an authenticated no-op request over HTTP (GET /auth/me with a bearer token,
 * autocannon on loopback), and database point reads and writes on SQLite and, when
 * CUSTODIA_TEST_DATABASE_URL is set, PostgreSQL.
 */
import autocannon from 'autocannon';
import type { Kysely } from 'kysely';
import { createLogger, createServer, loadConfig, openSystem, ALL_MIGRATIONS } from '../src/app/index.js';
import type { Dialect, Migration } from '../src/store/index.js';
import { openTestStore } from '../src/store/testing.js';
import { quick, writeResult, type Metric } from './lib/report.js';

const RUNS = quick ? 1 : 5;
const SECONDS = quick ? 2 : 10;

async function httpNoop(): Promise<Metric[]> {
  const t = await openTestStore('sqlite', ALL_MIGRATIONS);
  const config = loadConfig({ CUSTODIA_DATA_DIR: t.dataDir }, { cwd: t.dataDir });
  const system = await openSystem(config, { store: t.store });
  const org = await system.directory.createOrganization(system.tenantId, { name: 'Bench', type: 'hospital' });
  await system.directory.createUser(system.tenantId, {
    username: 'bench',
    orgId: org.id,
    roles: ['clinician'],
    password: 'bench-password-1',
  });
  const pair = await system.authenticator.login(system.tenantId, 'bench', 'bench-password-1', '127.0.0.1');
  const app = await createServer(system, createLogger('silent'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/auth/me`;
  const rps: number[] = [];
  const p99: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const r = await autocannon({
        url,
        connections: 32,
        duration: SECONDS,
        headers: { authorization: `Bearer ${pair.access_token}` },
      });
      if (r.non2xx > 0) throw new Error(`${r.non2xx} non-2xx answers`);
      rps.push(r.requests.average);
      p99.push(r.latency.p99);
    }
  } finally {
    await app.close();
    await t.dispose();
  }
  return [
    { name: 'http_authenticated_noop_req_per_s', runs: rps },
    { name: 'http_authenticated_noop_p99_ms', runs: p99 },
  ];
}

interface KvTables {
  bench_kv: { tenant_id: string; id: string; body: string };
}
const kvMigration: Migration = {
  name: '20261123_9000_bench_kv',
  up: async (db) => {
    await db.schema
      .createTable('bench_kv')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('bench_kv_pk', ['tenant_id', 'id'])
      .execute();
  },
};

async function pointOps(dialect: Dialect): Promise<Metric[]> {
  const t = await openTestStore(dialect, [kvMigration]);
  const db: Kysely<KvTables> = t.store.tables<KvTables>();
  const n = quick ? 2_000 : 10_000;
  const body = 'x'.repeat(512);
  const writes: number[] = [];
  const reads: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      let start = performance.now();
      // Each write is its own durable transaction (autocommit), as a single API write would be.
      for (let i = 0; i < n; i++)
        await db
          .insertInto('bench_kv')
          .values({ tenant_id: 't', id: `${run}-${i}`, body })
          .execute();
      writes.push(n / ((performance.now() - start) / 1000));
      start = performance.now();
      for (let i = 0; i < n; i++) {
        await db
          .selectFrom('bench_kv')
          .select('body')
          .where('tenant_id', '=', 't')
          .where('id', '=', `${run}-${(i * 7919) % n}`)
          .executeTakeFirstOrThrow();
      }
      reads.push(n / ((performance.now() - start) / 1000));
    }
  } finally {
    await t.dispose();
  }
  return [
    { name: `${dialect}_point_write_durable_ops_per_s`, runs: writes },
    { name: `${dialect}_point_read_ops_per_s`, runs: reads },
  ];
}

const metrics: Metric[] = [...(await httpNoop()), ...(await pointOps('sqlite'))];
if (process.env.CUSTODIA_TEST_DATABASE_URL) metrics.push(...(await pointOps('postgres')));
else console.log('notice: PostgreSQL point ops skipped (set CUSTODIA_TEST_DATABASE_URL)');
writeResult('foundation', metrics, { connections: 32, secondsPerRun: SECONDS });
