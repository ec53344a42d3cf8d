import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTestStore, testDialects } from '../store/testing.js';
import { subjectsOf, type AuditEntry, type PatientToken } from './entry.js';
import { storedWatermark } from './indexer.js';
import { Ledger, type LedgerOptions, type LedgerQuery, type StoredEntry } from './ledger.js';
import { randomSeed } from './primitives.js';
import { TIME_BLOCK, ledgerMigrations, type LedgerTables } from './schema.js';
import { bruteForceQuery, sampleEntry, tokenFor } from './testing.js';

const ORIGIN = 'audit.query.example/log';
const BASE = Date.UTC(2026, 10, 23);

/**
 * Entries whose times follow the index only roughly (a jitter of several seconds), with one far
 * in the future and one far in the past, and dataset events for the dataset and source subjects.
 */
function entryAt(i: number): AuditEntry {
  const time =
    i === 500 ? BASE + 1e10 : i === 600 ? BASE - 1e10 : BASE + i * 1000 + (((i * 7919) % 13) - 6) * 700;
  if (i % 7 === 3)
    return {
      kind: 'dataset-event',
      actor: 'svc-deid',
      organization: 'org-beijing-union',
      action: 'dataset.derive',
      targets: [tokenFor(i % 10)],
      dataset: `ds-${i % 5}`,
      stage: 'de-identification',
      derivedFrom: [`src-${i % 3}`, `src-${(i + 1) % 3}`],
      time,
    };
  return sampleEntry(i, time);
}

const t = (i: number) => BASE + i * 1000;
const QUERIES: LedgerQuery[] = [
  { patient: tokenFor(3) },
  { patient: tokenFor(4), limit: 1000 },
  { patient: tokenFor(77) as PatientToken },
  { subject: 'resource:Observation/obs-4' },
  { subject: 'resource:Observation/obs-1201' },
  { subject: 'dataset:ds-2', limit: 1000 },
  { subject: 'source:src-1', limit: 7 },
  { subject: 'nobody:at-all' },
  { actor: 'nurse.li.na', limit: 1000 },
  { actor: 'svc-deid', after: 400 },
  { actor: 'nobody' },
  { action: 'Patient.read', limit: 13 },
  { action: 'dataset.derive', kind: 'dataset-event', limit: 1000 },
  { kind: 'write', after: 650, limit: 20 },
  { from: t(300), to: t(310) },
  { from: t(250), to: t(1000), limit: 1000 },
  { from: BASE + 1e9 },
  { to: BASE - 1e9 },
  { to: t(20) },
  { from: t(1290), limit: 1000 },
  { from: t(5000), to: t(6000) },
  // Only the time block of entries 768-1023 holds this time (past the outliers): the range ends
  // with the block, at its last entry.
  { after: 700, from: entryAt(1023).time, to: entryAt(1023).time + 1 },
  { patient: tokenFor(5), from: t(200), to: t(900), limit: 1000 },
  { actor: 'dr.wang.fang', from: t(700), to: t(1100), after: 800 },
  { action: 'Observation.read', kind: 'access-decision', from: t(0), to: t(1200), limit: 1000 },
  { subject: 'dataset:ds-1', actor: 'svc-deid', to: t(1000) },
  { patient: tokenFor(1), actor: 'nurse.li.na', action: 'Patient.read', limit: 1000 },
  { limit: 1 },
];

async function allEntries(ledger: Ledger): Promise<StoredEntry[]> {
  const all: StoredEntry[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await ledger.query({ limit: 1000, ...(after === undefined ? {} : { after }) });
    all.push(...page.entries);
    if (page.next === undefined) return all;
    after = page.next;
  }
}

async function append(ledger: Ledger, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 100)
    await Promise.all(
      Array.from({ length: Math.min(100, to - start) }, (_, i) => ledger.append(entryAt(start + i))),
    );
}

/** Every query of QUERIES, and each walked page by page, equals the brute-force answer. */
async function assertQueries(ledger: Ledger, size: number, what: string): Promise<void> {
  const all = await allEntries(ledger);
  assert.equal(all.length, size);
  for (const q of QUERIES) {
    assert.deepEqual(await ledger.query(q), bruteForceQuery(all, q), `${what}: ${JSON.stringify(q)}`);
    let after: number | undefined;
    for (let pages = 0; ; pages++) {
      const paged = { ...q, limit: 40, ...(after === undefined ? {} : { after }) };
      const page = await ledger.query(paged);
      assert.deepEqual(page, bruteForceQuery(all, paged), `${what}: ${JSON.stringify(paged)}`);
      if (page.next === undefined) break;
      after = page.next;
      assert.ok(pages < 100);
    }
  }
}

for (const { dialect, skip } of testDialects()) {
  describe(`ledger queries and the derived index on ${dialect}`, { skip }, () => {
    const open = async (index: LedgerOptions['index']) => {
      const store = await openTestStore(dialect, ledgerMigrations);
      const options = {
        tenantId: 'q',
        origin: ORIGIN,
        signingKey: randomSeed(),
        cadence: { everyMs: 0 },
        index,
      };
      return { store, options, ledger: await Ledger.open(store.store, options) };
    };

    test('queries right after appending find what the indexer has not reached, as a scan of every entry does', async () => {
      const f = await open({ everyMs: 0, everyEntries: 1e9 });
      try {
        await append(f.ledger, 0, 700);
        assert.equal(await storedWatermark(f.store.store.tables(), 'q'), 0);
        await assertQueries(f.ledger, 700, 'nothing indexed');
        assert.equal(await f.ledger.updateIndex(), 700);
        await append(f.ledger, 700, 1300);
        await assertQueries(f.ledger, 1300, '700 indexed');
        assert.equal(await f.ledger.updateIndex(), 1300);
        await assertQueries(f.ledger, 1300, 'all indexed');
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });

    test('after a restart with an unindexed tail, queries are right at once and the index catches up', async () => {
      const f = await open({ everyMs: 0, everyEntries: 1e9 });
      try {
        await append(f.ledger, 0, 900);
        await f.ledger.close();
        // What a crash leaves when the last rounds of indexing were lost: their rows and the
        // watermark together (one transaction each).
        const db = f.store.store.tables<LedgerTables>();
        for (const table of ['ledger_subject', 'ledger_actor', 'ledger_action'] as const)
          await db.deleteFrom(table).where('idx', '>=', 300).execute();
        await db
          .deleteFrom('ledger_time_block')
          .where('block', '>=', Math.floor(300 / TIME_BLOCK))
          .execute();
        const kept = await db
          .selectFrom('ledger_leaf')
          .select('time')
          .where('idx', '>=', Math.floor(300 / TIME_BLOCK) * TIME_BLOCK)
          .where('idx', '<', 300)
          .execute();
        const times = kept.map((r) => Number(r.time));
        await db
          .insertInto('ledger_time_block')
          .values({
            tenant_id: 'q',
            block: Math.floor(300 / TIME_BLOCK),
            min_time: Math.min(...times),
            max_time: Math.max(...times),
          })
          .execute();
        await db.updateTable('ledger_index_state').set({ indexed: 300 }).execute();

        f.ledger = await Ledger.open(f.store.store, f.options);
        await assertQueries(f.ledger, 900, 'reopened at 300 of 900');
        // Appends go on while the tail is unindexed; the catch-up decodes 300-900 and takes the
        // new batches' rows from the appends.
        await append(f.ledger, 900, 1300);
        await assertQueries(f.ledger, 1300, 'reopened, grown');
        assert.equal(await f.ledger.updateIndex(), 1300);
        await assertQueries(f.ledger, 1300, 'caught up');

        // The index tables hold exactly the rows derived from scratch.
        const all = await allEntries(f.ledger);
        const rows = async (table: 'ledger_subject' | 'ledger_actor' | 'ledger_action', column: string) =>
          (
            (await db.selectFrom(table).selectAll().orderBy('idx').execute()) as unknown as Record<
              string,
              unknown
            >[]
          )
            .map((r) => `${String(r[column])} ${Number(r.idx)}`)
            .sort();
        assert.deepEqual(
          await rows('ledger_subject', 'subject'),
          all.flatMap((e) => subjectsOf(e.entry).map((s) => `${s} ${e.index}`)).sort(),
        );
        assert.deepEqual(
          await rows('ledger_actor', 'actor'),
          all.map((e) => `${e.entry.actor} ${e.index}`).sort(),
        );
        assert.deepEqual(
          await rows('ledger_action', 'action'),
          all.map((e) => `${e.entry.action} ${e.index}`).sort(),
        );
        const blocks = await db.selectFrom('ledger_time_block').selectAll().orderBy('block').execute();
        assert.deepEqual(
          blocks.map((b) => [Number(b.block), Number(b.min_time), Number(b.max_time)]),
          Array.from({ length: Math.ceil(1300 / TIME_BLOCK) }, (_, b) => {
            const times = all.slice(b * TIME_BLOCK, (b + 1) * TIME_BLOCK).map((e) => e.entry.time);
            return [b, Math.min(...times), Math.max(...times)];
          }),
        );
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });

    test('the indexer runs by itself, by count and by time, and a stray index row adds nothing', async () => {
      const f = await open({ everyMs: 20, everyEntries: 100 });
      try {
        await append(f.ledger, 0, 450);
        const db = f.store.store.tables<LedgerTables>();
        for (let i = 0; i < 200 && (await storedWatermark(db, 'q')) < 450; i++) await sleep(10);
        assert.equal(await storedWatermark(db, 'q'), 450);
        await db
          .insertInto('ledger_actor')
          .values({ tenant_id: 'q', actor: 'someone-else', idx: 5 })
          .execute();
        await db
          .insertInto('ledger_subject')
          .values({ tenant_id: 'q', subject: `patient:${tokenFor(99)}`, idx: 5 })
          .execute();
        assert.deepEqual((await f.ledger.query({ actor: 'someone-else' })).entries, []);
        assert.deepEqual((await f.ledger.query({ patient: tokenFor(99) })).entries, []);
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });

    test('the index is derived: a rebuild, or removing the watermark, restores any rows it lost', async () => {
      const f = await open({ everyMs: 0, everyEntries: 1e9 });
      try {
        await append(f.ledger, 0, 700);
        await f.ledger.close();
        // Damage: rows gone, a time block narrowed. Queries then miss entries (verify checks the
        // log, not these tables).
        const db = f.store.store.tables<LedgerTables>();
        const damage = async () => {
          await db.deleteFrom('ledger_actor').where('idx', '<', 100).execute();
          await db
            .deleteFrom('ledger_subject')
            .where('subject', '=', `patient:${tokenFor(3)}`)
            .execute();
          await db
            .updateTable('ledger_time_block')
            .set({ min_time: BASE + 1e11 })
            .where('block', '=', 1)
            .execute();
        };
        await damage();
        f.ledger = await Ledger.open(f.store.store, f.options);
        assert.notEqual((await f.ledger.query({ patient: tokenFor(3) })).entries.length, 70);
        // The repair beside a running server (`custodia ledger reindex`): every row derived again.
        const progress: number[] = [];
        assert.equal(await f.ledger.rebuildIndex((done) => progress.push(done)), 700);
        assert.deepEqual(progress, [700]);
        await assertQueries(f.ledger, 700, 'rebuilt in place');
        await damage();
        // The other repair: without a watermark, the next open derives every row again.
        await db.deleteFrom('ledger_index_state').where('tenant_id', '=', 'q').execute();
        await f.ledger.close();
        f.ledger = await Ledger.open(f.store.store, f.options);
        await assertQueries(f.ledger, 700, 'watermark removed');
        assert.equal(await f.ledger.updateIndex(), 700);
        await assertQueries(f.ledger, 700, 'rebuilt');
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });

    test('an entry changed into something that is not JSON does not hold the indexer up', async () => {
      const f = await open({ everyMs: 0, everyEntries: 1e9 });
      try {
        await append(f.ledger, 0, 300);
        const db = f.store.store.tables<LedgerTables>();
        // (verify reports it: the bytes no longer hash to the leaf)
        await db
          .updateTable('ledger_leaf')
          .set({ entry: Buffer.from('{"targets": not json') })
          .where('idx', '=', 100)
          .execute();
        assert.equal(await f.ledger.updateIndex(), 300);
        const expected = (match: (e: AuditEntry) => boolean) =>
          Array.from({ length: 300 }, (_, i) => i).filter((i) => i > 100 && match(entryAt(i)));
        const found = async (q: LedgerQuery) =>
          (await f.ledger.query({ ...q, after: 100, limit: 1000 })).entries.map((e) => e.index);
        assert.deepEqual(
          await found({ patient: tokenFor(3) }),
          expected((e) => e.targets.includes(tokenFor(3))),
        );
        assert.deepEqual(
          await found({ subject: 'source:src-2' }),
          expected((e) => e.kind === 'dataset-event' && e.derivedFrom.includes('src-2')),
        );
        assert.deepEqual(
          await found({ actor: 'svc-ingest' }),
          expected((e) => e.actor === 'svc-ingest'),
        );
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });

    test('a watermark beyond a log cut short is taken back, and entries appended again are found', async () => {
      const f = await open({ everyMs: 0 });
      try {
        await append(f.ledger, 0, 600);
        await f.ledger.close({ checkpoint: false });
        const db = f.store.store.tables<LedgerTables>();
        await db.deleteFrom('ledger_leaf').where('idx', '>=', 300).execute();
        await db
          .deleteFrom('ledger_node')
          .where('idx', '>=', Math.floor(300 / 16))
          .execute();
        f.ledger = await Ledger.open(f.store.store, f.options);
        assert.equal(f.ledger.size, 300);
        assert.equal(await storedWatermark(db, 'q'), TIME_BLOCK);
        // Different entries at the same indexes.
        for (let i = 300; i < 600; i += 50)
          await Promise.all(Array.from({ length: 50 }, (_, k) => f.ledger.append(entryAt(i + k + 1))));
        await f.ledger.updateIndex();
        await assertQueries(f.ledger, 600, 'appended again');
      } finally {
        await f.ledger.close();
        await f.store.dispose();
      }
    });
  });
}
