import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest, type Store } from '../store/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { decodeEntry, subjectsOf } from './entry.js';
import { Ledger, type LedgerOptions, type LedgerQuery } from './ledger.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations, type LedgerTables } from './schema.js';
import { bruteForceQuery, sampleEntry, tokenFor } from './testing.js';
import { verifyLog } from './verify.js';

const ORIGIN = 'audit.migrate.example/log';

/**
 * Writes a log into `store` as the code before the derived index did: entries, tile hashes and
 * checkpoints, and every entry's subject rows in the same transactions, a read's resources among
 * them as before reads were found through their patients only. (Made by today's ledger on a
 * scratch store of the same dialect, then copied.)
 */
async function writeOldLog(
  dialect: Store['dialect'],
  store: Store,
  options: LedgerOptions,
  n: number,
): Promise<void> {
  const scratch = await openTestStore(dialect, ledgerMigrations);
  try {
    const ledger = await Ledger.open(scratch.store, options);
    for (let start = 0; start < n; start += 25)
      await Promise.all(
        Array.from({ length: Math.min(25, n - start) }, (_, i) => ledger.append(sampleEntry(start + i))),
      );
    await ledger.checkpoint();
    await ledger.close();
    const from = scratch.store.tables<LedgerTables>();
    const to = store.tables<LedgerTables>();
    const leaves = await from.selectFrom('ledger_leaf').selectAll().orderBy('idx').execute();
    for (let i = 0; i < leaves.length; i += 50)
      await to
        .insertInto('ledger_leaf')
        .values(leaves.slice(i, i + 50))
        .execute();
    const subjects = leaves.flatMap((l) => {
      const entry = decodeEntry(l.entry);
      const old = new Set([...subjectsOf(entry), ...(entry.resources ?? []).map((r) => `resource:${r}`)]);
      return [...old].map((subject) => ({ tenant_id: l.tenant_id, subject, idx: l.idx }));
    });
    await to.insertInto('ledger_subject').values(subjects).execute();
    await to
      .insertInto('ledger_node')
      .values(await from.selectFrom('ledger_node').selectAll().execute())
      .execute();
    await to
      .insertInto('ledger_checkpoint')
      .values(await from.selectFrom('ledger_checkpoint').selectAll().execute())
      .execute();
  } finally {
    await scratch.dispose();
  }
}

const QUERIES: LedgerQuery[] = [
  { patient: tokenFor(3), limit: 1000 },
  { subject: 'resource:Observation/obs-4' },
  { actor: 'nurse.li.na', limit: 7 },
  { action: 'Patient.read', from: sampleEntry(10).time, to: sampleEntry(80).time },
  { from: sampleEntry(60).time, limit: 12 },
  { kind: 'write', after: 30 },
];

for (const { dialect, skip } of testDialects()) {
  describe(`ledger schema upgrades on ${dialect}`, { skip }, () => {
    for (const [applied, what] of [
      [1, 'before the clustered tables'],
      [2, 'before the derived query indexes'],
    ] as const) {
      test(`a log written ${what} keeps every entry, verifies, grows and is found as before`, async () => {
        const t = await openTestStore(dialect, ledgerMigrations.slice(0, applied));
        const seed = randomSeed();
        const options = { tenantId: 'm', origin: ORIGIN, signingKey: seed, cadence: { everyMs: 0 } };
        try {
          await writeOldLog(dialect, t.store, options, 70);
          await migrateToLatest(t.store, ledgerMigrations);
          const db = t.store.tables<LedgerTables>();
          if (dialect === 'sqlite') {
            const { rows } = await sql<{ name: string; type: string; sql: string | null }>`
              select name, type, sql from sqlite_master where name like 'ledger%'`.execute(db);
            // No index on ledger_leaf any more: a durable append writes its rows and nothing else.
            assert.deepEqual(
              rows.filter((r) => r.type === 'index' && /ledger_leaf/.test(r.name)).map((r) => r.name),
              [],
            );
            for (const name of [
              'ledger_leaf',
              'ledger_subject',
              'ledger_actor',
              'ledger_action',
              'ledger_time_block',
            ])
              assert.match(rows.find((r) => r.name === name)?.sql ?? '', /without rowid/i, name);
          }
          // ledger_subject is what the indexer derives: the reads' resource rows are gone.
          const subjects = await db.selectFrom('ledger_subject').selectAll().execute();
          const leaves = await db.selectFrom('ledger_leaf').select(['idx', 'entry']).execute();
          assert.deepEqual(
            subjects.map((r) => `${r.subject} ${Number(r.idx)}`).sort(),
            leaves
              .flatMap((l) => subjectsOf(decodeEntry(l.entry)).map((s) => `${s} ${Number(l.idx)}`))
              .sort(),
          );
          const state = await db.selectFrom('ledger_index_state').selectAll().execute();
          assert.deepEqual(
            state.map((s) => [s.tenant_id, Number(s.indexed)]),
            [['m', 70]],
          );
          const ledger = await Ledger.open(t.store, { ...options, index: { everyMs: 0 } });
          assert.equal(ledger.size, 70);
          await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.append(sampleEntry(70 + i))));
          await ledger.checkpoint();
          const report = await verifyLog(t.store, { ...options, logKeys: [ledger.verifierKey] });
          assert.ok(report.ok && report.entriesChecked === 100, JSON.stringify(report));
          const all = (await ledger.query({ limit: 1000 })).entries;
          assert.equal(all.length, 100);
          // The 30 new entries above the watermark, then all of them indexed.
          for (const indexed of [70, 100]) {
            if (indexed === 100) assert.equal(await ledger.updateIndex(), 100);
            for (const q of QUERIES)
              assert.deepEqual(await ledger.query(q), bruteForceQuery(all, q), JSON.stringify(q));
          }
          const { entries } = await ledger.query({ patient: tokenFor(3), limit: 1000 });
          assert.deepEqual(
            entries.map((e) => e.index),
            Array.from({ length: 10 }, (_, k) => 3 + 10 * k),
          );
          await ledger.close();
        } finally {
          await t.dispose();
        }
      });
    }
  });
}
