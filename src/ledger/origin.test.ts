import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCustodiaError } from '../core/index.js';
import { openTestStore, testDialects } from '../store/testing.js';
import { Ledger, logVerifierKey } from './ledger.js';
import { randomSeed } from './primitives.js';
import { ledgerMigrations } from './schema.js';
import { sampleEntry } from './testing.js';
import { verifyLog } from './verify.js';

const FIRST = '127.0.0.1:8080/custodia/tenant-a';
const MOVED = '127.0.0.1:9090/custodia/tenant-a';

for (const { dialect, skip } of testDialects()) {
  describe(`a log keeps the origin it first signed under (${dialect})`, { skip }, () => {
    test('a default origin gives way to it; an origin set on purpose that differs is refused', async () => {
      const t = await openTestStore(dialect, ledgerMigrations);
      try {
        const seed = randomSeed();
        const open = (origin: string, originIsDefault: boolean) =>
          Ledger.open(t.store, {
            tenantId: 'tenant-a',
            origin,
            originIsDefault,
            signingKey: seed,
            cadence: { everyMs: 0 },
          });
        const first = await open(FIRST, true);
        assert.equal(first.origin, FIRST, 'a new log takes the configured origin');
        await first.append(sampleEntry(0));
        await first.checkpoint();
        await first.close();

        // The server moved to another port: the default origin moved with it, the log's did not.
        const moved = await open(MOVED, true);
        assert.equal(moved.origin, FIRST);
        assert.equal(moved.verifierKey, logVerifierKey(FIRST, seed), 'witnesses still know its key');
        await moved.append(sampleEntry(1));
        const checkpoint = await moved.checkpoint();
        assert.match(checkpoint.note, new RegExp(`^${FIRST.replace(/[.]/g, '\\.')}\n2\n`));
        await moved.close();
        const report = await verifyLog(t.store, {
          tenantId: 'tenant-a',
          origin: FIRST,
          logKeys: [logVerifierKey(FIRST, seed)],
        });
        assert.equal(report.ok, true);
        assert.equal(report.checkpointsChecked, 2, 'every checkpoint is under the one origin');

        await assert.rejects(open(MOVED, false), (error: unknown) => {
          assert.ok(isCustodiaError(error));
          assert.equal(error.code, 'invalid-config');
          assert.match(error.message, new RegExp(FIRST));
          assert.match(error.hint ?? '', /CUSTODIA_LEDGER_ORIGIN/);
          assert.match(error.zh ?? '', /不可更改/);
          return true;
        });
      } finally {
        await t.dispose();
      }
    });
  });
}
