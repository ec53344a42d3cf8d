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
/**
 * A synchronous write, so that the line is out before the next batch can commit. The pipe is
 * non-blocking: when the parent (on a busy machine) has not read it empty, try again.
 */
function writeLine(line: string): void {
  const bytes = Buffer.from(line);
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(1, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

for (;;) {
  const wave = Array.from({ length: 200 }, () => ledger.append(sampleEntry(i++)));
  for (const p of wave) void p.then((r) => writeLine(`${r.index}\n`));
  await Promise.all(wave);
}
