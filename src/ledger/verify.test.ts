import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openTestStore, testDialects, type TestStore } from '../store/testing.js';
import { Ledger } from './ledger.js';
import { leafHash } from './merkle.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations } from './schema.js';
import { sampleEntry } from './testing.js';
import { verifyLog } from './verify.js';

const ORIGIN = 'audit.verify.example/log';

for (const { dialect, skip } of testDialects()) {
  describe(`search columns checked against the entry bytes on ${dialect}`, { skip }, () => {
    const cases: [string, (idx: number) => string, RegExp][] = [
      ['a cleared request id', (i) => `update ledger_leaf set request_id = null where idx = ${i}`, /columns/],
      ['a moved time', (i) => `update ledger_leaf set time = time + 1 where idx = ${i}`, /columns/],
      [
        'another action',
        (i) => `update ledger_leaf set action = 'Tampered.read' where idx = ${i}`,
        /columns/,
      ],
      ['another kind', (i) => `update ledger_leaf set kind = 'login' where idx = ${i}`, /columns/],
      [
        'another organization',
        (i) => `update ledger_leaf set organization = 'org-x' where idx = ${i}`,
        /columns/,
      ],
    ];
    for (const [what, tamper] of cases)
      test(`${what} is found at its index, and only when columns are checked`, async () => {
        const t = await openTestStore(dialect, ledgerMigrations);
        const seed = randomSeed();
        const ledger = await Ledger.open(t.store, {
          tenantId: 'v',
          origin: ORIGIN,
          signingKey: seed,
          cadence: { everyMs: 0 },
        });
        try {
          await Promise.all(Array.from({ length: 120 }, (_, i) => ledger.append(sampleEntry(i))));
          await ledger.checkpoint();
          const options = { tenantId: 'v', origin: ORIGIN, logKeys: [ledger.verifierKey] };
          assert.ok((await verifyLog(t.store, options)).ok);
          await sql.raw(tamper(77)).execute(t.store.tables());
          await sql.raw(tamper(101)).execute(t.store.tables());
          const report = await verifyLog(t.store, options);
          assert.equal(report.ok, false);
          assert.ok(
            !report.ok && report.problem.kind === 'columns' && report.problem.index === 77,
            JSON.stringify(report),
          );
          assert.equal(report.entriesChecked, 77);
          assert.ok((await verifyLog(t.store, { ...options, checkColumns: false })).ok);
        } finally {
          await ledger.close({ checkpoint: false });
          await t.dispose();
        }
      });

    test('bytes that are not JSON, with a leaf hash to match, are reported as such', async () => {
      const t = await openTestStore(dialect, ledgerMigrations);
      const ledger = await Ledger.open(t.store, {
        tenantId: 'v',
        origin: ORIGIN,
        signingKey: randomSeed(),
        cadence: { everyMs: 0 },
      });
      try {
        await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.append(sampleEntry(i))));
        const junk = Buffer.from('{"kind":"read",');
        await t.store
          .tables<{ ledger_leaf: { idx: number; entry: Uint8Array; leaf_hash: Uint8Array } }>()
          .updateTable('ledger_leaf')
          .set({ entry: junk, leaf_hash: Buffer.from(leafHash(junk)) })
          .where('idx', '=', 33)
          .execute();
        const report = await verifyLog(t.store, {
          tenantId: 'v',
          origin: ORIGIN,
          logKeys: [ledger.verifierKey],
        });
        assert.ok(
          !report.ok && report.problem.kind === 'columns' && report.problem.index === 33,
          JSON.stringify(report),
        );
        assert.match(report.problem.message, /not valid JSON/);
      } finally {
        await ledger.close({ checkpoint: false });
        await t.dispose();
      }
    });
  });
}

/**
 * A SQLite log of `count` entries for `body`, appended `every` at a time (each group awaited
 * before the next) with a checkpoint cadence of `every` entries.
 */
async function withSqliteLog(
  tenantId: string,
  every: number,
  count: number,
  body: (t: TestStore, ledger: Ledger) => Promise<void>,
): Promise<void> {
  const t = await openTestStore('sqlite', ledgerMigrations);
  const ledger = await Ledger.open(t.store, {
    tenantId,
    origin: ORIGIN,
    signingKey: randomSeed(),
    cadence: { everyEntries: every, everyMs: 0 },
  });
  try {
    for (let start = 0; start < count; start += every)
      await Promise.all(
        Array.from({ length: Math.min(every, count - start) }, (_, i) =>
          ledger.append(sampleEntry(start + i)),
        ),
      );
    await body(t, ledger);
  } finally {
    await ledger.close({ checkpoint: false });
    await t.dispose();
  }
}

describe('verification in pages on worker threads (SQLite)', () => {
  const tampering: [string, (idx: number) => string, string][] = [
    [
      'a changed entry',
      (i) => `update ledger_leaf set entry = cast('{}' as blob) where idx = ${i}`,
      'leaf-hash',
    ],
    ['a deleted entry', (i) => `delete from ledger_leaf where idx = ${i}`, 'gap'],
    [
      'a changed entry with its leaf hash',
      (i) =>
        `update ledger_leaf set leaf_hash = (select leaf_hash from ledger_leaf where idx = 0) where idx = ${i}`,
      'leaf-hash',
    ],
    [
      'a changed search column',
      (i) => `update ledger_leaf set actor = 'x-actor' where idx = ${i}`,
      'columns',
    ],
    // The same bytes, but a query for the actor's text would no longer find it.
    [
      'an actor column turned into a blob',
      (i) => `update ledger_leaf set actor = cast(actor as blob) where idx = ${i}`,
      'columns',
    ],
  ];
  for (const [what, tamper, kind] of tampering)
    test(`${what} is reported at the same index with and without workers, across page edges`, async () => {
      await withSqliteLog('w', 100, 301, async (t, ledger) => {
        const options = { tenantId: 'w', origin: ORIGIN, logKeys: [ledger.verifierKey], chunk: 32 };
        for (const workers of [0, 1, 2]) {
          const report = await verifyLog(t.store, { ...options, workers });
          assert.ok(report.ok && report.entriesChecked === 301 && report.checkpointsChecked === 3);
        }
        await sql.raw(tamper(160)).execute(t.store.tables());
        const reports = await Promise.all(
          [0, 1, 2].map((workers) => verifyLog(t.store, { ...options, workers })),
        );
        for (const report of reports) {
          assert.ok(!report.ok && report.problem.kind === kind, JSON.stringify(report));
          assert.equal(report.problem.index, 160);
          assert.equal(report.entriesChecked, 160);
        }
      });
    });
});

describe('pages proven as whole subtrees by workers (SQLite)', () => {
  // 301 entries, checkpoints at 100, 200 and 300 (inside pages of 32), read in aligned pages of
  // 32 (each a complete subtree of two tiles) and a last page of 13.
  const tenantId = 'p';
  type Tamper = (t: TestStore) => Promise<unknown>;
  const raw =
    (text: string): Tamper =>
    (t) =>
      sql.raw(text).execute(t.store.tables());
  /** Entry `i` replaced by other bytes with the leaf hash to match: only a root can tell. */
  const rewrite =
    (i: number, bytes: Buffer): Tamper =>
    (t) =>
      t.store
        .tables<{ ledger_leaf: { idx: number; entry: Uint8Array; leaf_hash: Uint8Array } }>()
        .updateTable('ledger_leaf')
        .set({ entry: bytes, leaf_hash: Buffer.from(leafHash(bytes)) })
        .where('idx', '=', i)
        .execute();
  const swap = (a: number, b: number) =>
    raw(`update ledger_leaf set
      entry = (select entry from ledger_leaf l where l.idx = ${a + b} - ledger_leaf.idx),
      leaf_hash = (select leaf_hash from ledger_leaf l where l.idx = ${a + b} - ledger_leaf.idx)
      where idx in (${a}, ${b})`);
  const cases: [string, Tamper, { kind: string; index: number; checked: number }, boolean?][] = [
    [
      'the first entry changed',
      raw(`update ledger_leaf set entry = cast('{}' as blob) where idx = 0`),
      { kind: 'leaf-hash', index: 0, checked: 0 },
    ],
    [
      'an entry inside a page changed',
      raw(`update ledger_leaf set entry = cast('{}' as blob) where idx = 170`),
      { kind: 'leaf-hash', index: 170, checked: 170 },
    ],
    [
      'the last entry of a page deleted',
      raw(`delete from ledger_leaf where idx = 191`),
      { kind: 'gap', index: 191, checked: 191 },
    ],
    [
      'an entry of the partial last page changed',
      raw(`update ledger_leaf set entry = cast('{}' as blob) where idx = 295`),
      { kind: 'leaf-hash', index: 295, checked: 295 },
    ],
    [
      'the last entries removed',
      raw(`delete from ledger_leaf where idx >= 250`),
      { kind: 'truncated', index: 250, checked: 250 },
    ],
    [
      'an entry rewritten with its hash before a checkpoint inside a page',
      rewrite(97, Buffer.from('{"kind":"read"}')),
      { kind: 'root', index: 100, checked: 100 },
      false,
    ],
    [
      'two entries of one page swapped with their hashes',
      swap(165, 170),
      { kind: 'root', index: 200, checked: 200 },
      false,
    ],
    [
      'a stored tile hash changed',
      raw(`update ledger_node set hash = zeroblob(32) where level = 4 and idx = 9`),
      { kind: 'tile-hash', index: 144, checked: 301 },
    ],
    [
      'a stored tile hash deleted',
      raw(`delete from ledger_node where level = 4 and idx = 9`),
      { kind: 'tile-hash', index: 144, checked: 301 },
    ],
    [
      'a stored tile hash added past the last tile',
      raw(
        `insert into ledger_node select tenant_id, level, 18, hash from ledger_node where level = 4 and idx = 0`,
      ),
      { kind: 'tile-hash', index: 288, checked: 301 },
    ],
    [
      'a changed actor column',
      raw(`update ledger_leaf set actor = 'x' where idx = 170`),
      { kind: 'columns', index: 170, checked: 170 },
    ],
    // SQLite flags the text time, the entry agrees with it as a number: the search goes on.
    [
      'a column SQLite flags but the entry agrees with, then a changed one in the same page',
      async (t) => {
        await raw(`update ledger_leaf set time = cast(time as text) where idx = 165`)(t);
        await raw(`update ledger_leaf set organization = 'org-x' where idx = 170`)(t);
      },
      { kind: 'columns', index: 170, checked: 170 },
    ],
    // A 0x00 byte splits the page into one slice too many: the page goes row by row.
    [
      'an entry with a 0x00 byte and its hash',
      rewrite(165, Buffer.from('{"kind":"read"}\0')),
      { kind: 'columns', index: 165, checked: 165 },
    ],
  ];
  // The last element: false to leave the columns out (a tamper that moves entries also leaves
  // their columns behind, found first otherwise).
  for (const [what, tamper, expected, checkColumns = true] of cases)
    test(`${what} is reported at the same place with and without workers`, async () => {
      await withSqliteLog(tenantId, 100, 301, async (t, ledger) => {
        const options = { tenantId, origin: ORIGIN, logKeys: [ledger.verifierKey], chunk: 32, checkColumns };
        await tamper(t);
        for (const workers of [0, 1, 2]) {
          const report = await verifyLog(t.store, { ...options, workers });
          assert.ok(!report.ok, `workers ${workers}: ${JSON.stringify(report)}`);
          assert.deepEqual(
            { kind: report.problem.kind, index: report.problem.index, checked: report.entriesChecked },
            expected,
            `workers ${workers}: ${report.problem.message}`,
          );
        }
      });
    });

  test('a page size that is not a power of two still verifies, with checkpoints inside pages', async () => {
    await withSqliteLog(tenantId, 50, 200, async (t, ledger) => {
      await ledger.checkpoint();
      const logKeys = [ledger.verifierKey];
      const reference = await verifyLog(t.store, { tenantId, origin: ORIGIN, logKeys, workers: 0 });
      assert.ok(reference.ok && reference.checkpointsChecked >= 4, JSON.stringify(reference));
      for (const chunk of [1, 7, 48, 64, 200, 256])
        for (const workers of [0, 2]) {
          const report = await verifyLog(t.store, { tenantId, origin: ORIGIN, logKeys, chunk, workers });
          assert.deepEqual(report, reference, `chunk ${chunk}, workers ${workers}`);
        }
    });
  });
});
