import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { startTestSystem } from './helpers/system.js';
import { openStore } from '../src/store/index.js';
import { ALL_MIGRATIONS, createLogger, createServer, loadConfig, openSystem } from '../src/app/index.js';
import { migrateToLatest } from '../src/store/index.js';
import { LogSink } from './helpers/system.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('shutdown lets an in-flight request finish, then refuses new ones', async () => {
  const ts = await startTestSystem('sqlite');
  const { app } = ts;
  await app.close();
  const fresh = await createServer(ts.system, createLogger('silent'));
  let arrived!: () => void;
  const handling = new Promise<void>((resolve) => (arrived = resolve));
  fresh.get('/slow', { config: { public: true } }, async () => {
    arrived();
    await new Promise((r) => setTimeout(r, 300));
    return { finished: true };
  });
  await fresh.listen({ host: '127.0.0.1', port: 0 });
  const port = (fresh.server.address() as { port: number }).port;
  try {
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    // Closed once the request is being handled (a fixed wait raced the request on a loaded machine).
    await handling;
    const closing = fresh.close();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { finished: true });
    await closing;
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
  } finally {
    await ts.dispose();
  }
});

/** A TCP proxy to PostgreSQL that the test can cut and restore, as a network or server outage would. */
class Outage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}
  async up(): Promise<void> {
    this.server = createTcpServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

test(
  'PostgreSQL lost while running: 503 with Retry-After, no crash, recovery when it returns',
  {
    skip: process.env.CUSTODIA_TEST_DATABASE_URL
      ? false
      : 'PostgreSQL: set CUSTODIA_TEST_DATABASE_URL to run',
  },
  async () => {
    const real = new URL(process.env.CUSTODIA_TEST_DATABASE_URL!);
    const probe = createTcpServer();
    const port = await new Promise<number>((r) =>
      probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)),
    );
    await new Promise<void>((r) => probe.close(() => r()));
    const outage = new Outage({ host: real.hostname, port: Number(real.port || 5432) }, port);
    await outage.up();
    const viaProxy = new URL(real);
    viaProxy.host = `127.0.0.1:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'custodia-outage-'));
    const schema = `outage_${Date.now().toString(36)}`;
    const store = await openStore({ databaseUrl: viaProxy.toString(), dataDir, schema, poolSize: 2 });
    await migrateToLatest(store, ALL_MIGRATIONS);
    const config = loadConfig({ CUSTODIA_DATA_DIR: dataDir }, { cwd: dataDir });
    const system = await openSystem(config, { store });
    const logs = new LogSink();
    const app = await createServer(system, createLogger('info', logs));
    try {
      assert.equal((await app.inject('/health/ready')).statusCode, 200);
      await outage.down();
      const ready = await app.inject('/health/ready');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.headers['retry-after'], '5');
      const login = await app.inject({
        method: 'POST',
        url: '/auth/token',
        payload: { username: 'x', password: 'y' },
      });
      assert.equal(login.statusCode, 503);
      assert.equal(login.json().code, 'unavailable');
      await outage.up();
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await app.inject('/health/ready')).statusCode;
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(status, 200);
    } finally {
      await app.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`
        .execute(store.tables())
        .catch(() => undefined);
      await store.close();
      await outage.down().catch(() => undefined);
    }
  },
);
