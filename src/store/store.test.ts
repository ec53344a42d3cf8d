import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { migrationStatus, preparedQuery, redactUrl, type Migration, type QueryRunner } from './index.js';
import { openTestStore, testDialects } from './testing.js';

interface NoteTables {
  note: { tenant_id: string; id: string; body: Uint8Array; created_at: number };
}

const migrations: Migration[] = [
  {
    name: '20260101_0001_note',
    up: async (db, { types }) => {
      await db.schema
        .createTable('note')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('body', types.bytes, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('note_pk', ['tenant_id', 'id'])
        .execute();
    },
  },
];

for (const { dialect, skip } of testDialects()) {
  describe(`store on ${dialect}`, { skip }, () => {
    test('migrations run once and record themselves', async () => {
      const t = await openTestStore(dialect, migrations);
      try {
        const status = await migrationStatus(t.store, migrations);
        assert.deepEqual(status, { applied: ['20260101_0001_note'], pending: [] });
      } finally {
        await t.dispose();
      }
    });

    test('bytes and epoch-ms bigints round-trip unchanged', async () => {
      const t = await openTestStore(dialect, migrations);
      try {
        const db: Kysely<NoteTables> = t.store.tables<NoteTables>();
        const body = Buffer.from([0, 1, 2, 255]);
        await db
          .insertInto('note')
          .values({ tenant_id: 'a', id: '1', body, created_at: 1_790_000_000_123 })
          .execute();
        const row = await db.selectFrom('note').selectAll().where('id', '=', '1').executeTakeFirstOrThrow();
        assert.deepEqual(Buffer.from(row.body), body);
        assert.equal(row.created_at, 1_790_000_000_123);
      } finally {
        await t.dispose();
      }
    });

    test('a failed transaction leaves nothing behind', async () => {
      const t = await openTestStore(dialect, migrations);
      try {
        const db = t.store.tables<NoteTables>();
        await assert.rejects(
          db.transaction().execute(async (tx) => {
            await tx
              .insertInto('note')
              .values({ tenant_id: 'a', id: '2', body: Buffer.alloc(1), created_at: 1 })
              .execute();
            await tx
              .insertInto('note')
              .values({ tenant_id: 'a', id: '2', body: Buffer.alloc(1), created_at: 1 })
              .execute();
          }),
        );
        const { count } = await db
          .selectFrom('note')
          .select(sql<number>`count(*)`.as('count'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(count), 0);
      } finally {
        await t.dispose();
      }
    });

    test('a prepared query runs with new values each time, in a transaction too', async () => {
      const t = await openTestStore(dialect, migrations);
      try {
        const db = t.store.tables<NoteTables>();
        const rows = ['a', 'b', 'c'].map((id, i) => ({
          tenant_id: id === 'c' ? 'other' : 't1',
          id,
          body: Buffer.from(id),
          created_at: 1_000 + i,
        }));
        await db.insertInto('note').values(rows).execute();
        const byId = preparedQuery<'tenant' | 'id', { id: string; created_at: number }>((slot) =>
          db
            .selectFrom('note')
            .select(['id', 'created_at'])
            .where('tenant_id', '=', slot('tenant'))
            .where('id', '=', slot('id'))
            .where('created_at', '>', 0),
        );
        const get = async (tenant: string, id: string, runner: QueryRunner = db) =>
          (await byId.run(runner, { tenant, id })).rows.map((r) => [r.id, Number(r.created_at)]);
        assert.deepEqual(await get('t1', 'a'), [['a', 1000]]);
        assert.deepEqual(await get('t1', 'b'), [['b', 1001]]);
        assert.deepEqual(await get('t1', 'c'), [], 'the tenant value is filled in, not the first one kept');
        assert.deepEqual(await get('other', 'c'), [['c', 1002]]);
        await db.transaction().execute(async (tx) => {
          await tx.deleteFrom('note').where('id', '=', 'a').execute();
          assert.deepEqual(await get('t1', 'a', tx), []);
        });
      } finally {
        await t.dispose();
      }
    });

    test('ping answers while the database is up', async () => {
      const t = await openTestStore(dialect);
      try {
        await t.store.ping();
      } finally {
        await t.dispose();
      }
    });
  });
}

test('database URLs are logged without their password', () => {
  assert.equal(redactUrl('postgres://u:secret@db:5432/x'), 'postgres://u@db:5432/x');
});

// SQLite only: PostgreSQL's autovacuum keeps its statistics (refreshStatistics does nothing there).
test('SQLite planner statistics are gathered after bulk writes', async () => {
  const t = await openTestStore('sqlite', migrations);
  try {
    const db = t.store.tables<NoteTables>();
    const rows = Array.from({ length: 500 }, (_, i) => ({
      tenant_id: 't1',
      id: `n${i}`,
      body: Buffer.from('x'),
      created_at: i,
    }));
    await db.insertInto('note').values(rows).execute();
    await t.store.refreshStatistics();
    const stats = await sql<{ tbl: string; stat: string }>`select tbl, stat from sqlite_stat1`.execute(db);
    const note = stats.rows.find((r) => r.tbl === 'note');
    assert.ok(note, 'the table was analyzed');
    assert.match(note.stat, /^500 /, 'with its row count');
  } finally {
    await t.dispose();
  }
});

// SQLite only: PostgreSQL transactions take row locks as they write and wait for each other.
test('a SQLite transaction that reads and then writes is not failed by another connection', async () => {
  const t = await openTestStore('sqlite', migrations);
  const other = new BetterSqlite3(t.store.location);
  other.pragma('busy_timeout = 0');
  try {
    const db = t.store.tables<NoteTables>();
    const note = (id: string) => ({ tenant_id: 't1', id, body: Buffer.from('x'), created_at: 1 });
    let otherWrote: boolean | undefined;
    await db.transaction().execute(async (tx) => {
      await tx.selectFrom('note').select('id').execute();
      // Had the transaction begun deferred, this write would commit and the one below would then
      // fail with SQLITE_BUSY (its snapshot is stale); begun immediate, this one has to wait.
      try {
        other.prepare("insert into note values ('t1', 'other', x'00', 1)").run();
        otherWrote = true;
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'SQLITE_BUSY');
        otherWrote = false;
      }
      await tx.insertInto('note').values(note('mine')).execute();
    });
    assert.equal(otherWrote, false);
    const ids = (await db.selectFrom('note').select('id').execute()).map((r) => r.id);
    assert.deepEqual(ids, ['mine']);
  } finally {
    other.close();
    await t.dispose();
  }
});
