import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openTestStore, testDialects } from '../store/testing.js';
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
  ];
  for (const [what, tamper, kind] of tampering)
    test(`${what} is reported at the same index with and without workers, across page edges`, async () => {
      const t = await openTestStore('sqlite', ledgerMigrations);
      const ledger = await Ledger.open(t.store, {
        tenantId: 'w',
        origin: ORIGIN,
        signingKey: randomSeed(),
        cadence: { everyEntries: 100, everyMs: 0 },
      });
      try {
        for (let start = 0; start < 300; start += 100)
          await Promise.all(Array.from({ length: 100 }, (_, i) => ledger.append(sampleEntry(start + i))));
        await ledger.append(sampleEntry(300));
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
      } finally {
        await ledger.close({ checkpoint: false });
        await t.dispose();
      }
    });
});
