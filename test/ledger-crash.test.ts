/**
 * Kill -9 in the middle of appending: after restart every acknowledged entry is there, no batch
 * is half-written, the tree is rebuilt to the same root the entries give, and appends go on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  Ledger,
  ledgerMigrations,
  randomSeed,
  verifyLog,
  type LedgerQuery,
  type StoredEntry,
} from '../src/ledger/index.js';
import { bruteForceQuery, sampleEntry, tokenFor } from '../src/ledger/testing.js';
import { storedWatermark } from '../src/ledger/indexer.js';
import { migrateToLatest, openStore } from '../src/store/index.js';

const ORIGIN = 'audit.crash.example/log';

/** Queries reaching into the end of the log, where the indexer had not got to when it was killed. */
async function assertQueries(ledger: Ledger, what: string): Promise<void> {
  const size = ledger.size;
  // The child appends sampleEntry(i) at index i: the answers follow from that alone.
  const all = Array.from(
    { length: size },
    (_, index) => ({ index, entry: sampleEntry(index) }) as StoredEntry,
  );
  const queries: LedgerQuery[] = [
    { patient: tokenFor(7), after: size - 2500, limit: 1000 },
    { actor: 'svc-ingest', after: size - 3000, limit: 1000 },
    { action: 'Bundle.export', from: sampleEntry(size - 1500).time, limit: 1000 },
    { subject: `resource:Observation/obs-${size - 5}` },
    { from: sampleEntry(size - 300).time, to: sampleEntry(size - 10).time, limit: 1000 },
  ];
  for (const q of queries) {
    const found = await ledger.query(q);
    const expected = bruteForceQuery(all, q);
    assert.deepEqual(
      { indexes: found.entries.map((e) => e.index), next: found.next },
      { indexes: expected.entries.map((e) => e.index), next: expected.next },
      `${what}: ${JSON.stringify(q)}`,
    );
  }
}

function runAndKill(dataDir: string, seedHex: string, killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'ledger-crash-child.ts'), dataDir, seedHex],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let acknowledged = -1;
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
      if (acknowledged >= killAfter && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(acknowledged) : reject(new Error(`child exited with ${code}`)),
    );
  });
}

test('a ledger killed with SIGKILL mid-append restarts consistent', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodia-crash-'));
  const seed = randomSeed();
  const seedHex = Buffer.from(seed).toString('hex');
  try {
    let acknowledged = -1;
    for (const killAfter of [3_000, 9_000]) {
      acknowledged = await runAndKill(dataDir, seedHex, killAfter);
      assert.ok(acknowledged >= killAfter);
      const store = await openStore({ dataDir });
      await migrateToLatest(store, ledgerMigrations);
      // The indexer only when asked: the queries first meet the tail the kill left unindexed.
      const ledger = await Ledger.open(store, {
        tenantId: 'crash',
        origin: ORIGIN,
        signingKey: seed,
        cadence: { everyMs: 0 },
        index: { everyMs: 0, everyEntries: 1e9 },
      });
      const tail = ledger.size - (await storedWatermark(store.tables(), 'crash'));
      process.stdout.write(`# ${tail} of ${ledger.size} entries unindexed after the kill\n`);
      try {
        // Every acknowledged append survived; the log has no gap or half batch (verifyLog checks
        // indexes run 0..n-1, every leaf hash, every signed root and the stored tile hashes).
        assert.ok(ledger.size > acknowledged, `size ${ledger.size}, acknowledged ${acknowledged}`);
        const report = await verifyLog(store, {
          tenantId: 'crash',
          origin: ORIGIN,
          logKeys: [ledger.verifierKey],
        });
        assert.ok(report.ok, JSON.stringify(report));
        assert.equal(report.entriesChecked, ledger.size);
        assert.equal(report.root, Buffer.from(await ledger.rootAt()).toString('base64'));
        for (const index of [0, acknowledged, ledger.size - 1])
          assert.deepEqual((await ledger.get(index)).entry, sampleEntry(index));
        // Found at once, indexed or not, and the same once the indexer has caught up.
        await assertQueries(ledger, 'reopened');
        assert.equal(await ledger.updateIndex(), ledger.size);
        await assertQueries(ledger, 'caught up');
        // And the restored tree keeps working.
        const receipt = await ledger.append(sampleEntry(ledger.size));
        assert.equal(receipt.index, report.entriesChecked);
      } finally {
        await ledger.close();
        await store.close();
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
