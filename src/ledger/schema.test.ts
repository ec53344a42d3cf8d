import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from '../store/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { Ledger } from './ledger.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations } from './schema.js';
import { sampleEntry, tokenFor } from './testing.js';
import { verifyLog } from './verify.js';

const ORIGIN = 'audit.migrate.example/log';

for (const { dialect, skip } of testDialects()) {
  describe(`ledger schema upgrades on ${dialect}`, { skip }, () => {
    test('a log written before the clustered tables keeps every entry, verifies and grows', async () => {
      const t = await openTestStore(dialect, ledgerMigrations.slice(0, 1));
      const seed = randomSeed();
      const options = { tenantId: 'm', origin: ORIGIN, signingKey: seed, cadence: { everyMs: 0 } };
      try {
        let ledger = await Ledger.open(t.store, options);
        await Promise.all(Array.from({ length: 70 }, (_, i) => ledger.append(sampleEntry(i))));
        await ledger.close();
        await migrateToLatest(t.store, ledgerMigrations);
        if (dialect === 'sqlite') {
          const { rows } = await sql<{ name: string; sql: string }>`
            select name, sql from sqlite_master where name in ('ledger_leaf', 'ledger_subject')
            or tbl_name = 'ledger_leaf' and type = 'index'`.execute(t.store.tables());
          assert.deepEqual(rows.map((r) => r.name).sort(), [
            'ledger_leaf',
            'ledger_leaf_action',
            'ledger_leaf_actor',
            'ledger_leaf_time',
            'ledger_subject',
          ]);
          for (const r of rows.filter((x) => x.name === 'ledger_leaf' || x.name === 'ledger_subject'))
            assert.match(r.sql, /without rowid/i, r.name);
        }
        ledger = await Ledger.open(t.store, options);
        assert.equal(ledger.size, 70);
        await Promise.all(Array.from({ length: 30 }, (_, i) => ledger.append(sampleEntry(70 + i))));
        await ledger.checkpoint();
        const report = await verifyLog(t.store, { ...options, logKeys: [ledger.verifierKey] });
        assert.ok(report.ok && report.entriesChecked === 100, JSON.stringify(report));
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
  });
}
