/**
 * Child process for ledger-crash.test.ts: appends to a SQLite ledger in concurrent waves until
 * killed, printing the index of every append whose promise resolved (i.e. committed durably).
 */
import { writeSync } from 'node:fs';
import { Ledger, ledgerMigrations } from '../src/ledger/index.js';
import { sampleEntry } from '../src/ledger/testing.js';
import { migrateToLatest, openStore } from '../src/store/index.js';

const [dataDir, seedHex] = process.argv.slice(2) as [string, string];
const store = await openStore({ dataDir });
await migrateToLatest(store, ledgerMigrations);
const ledger = await Ledger.open(store, {
  tenantId: 'crash',
  origin: 'audit.crash.example/log',
  signingKey: Buffer.from(seedHex, 'hex'),
  cadence: { everyEntries: 500, everyMs: 5 },
});
let i = ledger.size;
for (;;) {
  const wave = Array.from({ length: 200 }, () => ledger.append(sampleEntry(i++)));
  for (const p of wave)
    void p.then((r) => {
      // Synchronous write: the line is out before the next batch can commit.
      writeSync(1, `${r.index}\n`);
    });
  await Promise.all(wave);
}
