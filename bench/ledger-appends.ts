/**
 * Durable appends alone, with the writer thread's own account of its time: a probe for changes
 * to the append path, quicker than `npm run bench` (not one of its benches). Appends `count`
 * entries from `appenders` concurrent callers (each waits for its entry to be durable before the
 * next, as API handlers do) to a fresh SQLite store, then prints one JSON line.
 *
 *   node --import tsx bench/ledger-appends.ts [count=100000] [appenders=2048] [root=.]
 *
 * `root` is a checkout of the repository whose code to run (to compare two versions
 * interleaved, from one copy of this script).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as LedgerModule from '../src/ledger/index.js';
import type * as WriterModule from '../src/ledger/sqlite-writer.js';
import type { WriterStats } from '../src/ledger/sqlite-writer.js';
import type * as TestingModule from '../src/ledger/testing.js';
import type * as StoreModule from '../src/store/index.js';

const count = Number(process.argv[2] ?? 100_000);
const appenders = Number(process.argv[3] ?? 2048);
const root = resolve(process.argv[4] ?? '.');
const load = async <T>(path: string) => (await import(pathToFileURL(join(root, path)).href)) as T;

const { Ledger, ledgerMigrations, randomSeed } = await load<typeof LedgerModule>('src/ledger/index.ts');
const { sampleEntry } = await load<typeof TestingModule>('src/ledger/testing.ts');
const { SqliteWriter } = await load<typeof WriterModule>('src/ledger/sqlite-writer.ts');
const { migrateToLatest, openStore } = await load<typeof StoreModule>('src/store/index.ts');

/** CPU seconds (user + system) of each thread of this process, by thread id. */
function threadCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended
    }
  }
  return cpu;
}

const dataDir = mkdtempSync(join(tmpdir(), 'custodia-appends-'));
try {
  const store = await openStore({ dataDir });
  await migrateToLatest(store, ledgerMigrations);
  // The writer the ledger will share (one per database file): its counters are the thread's.
  const writer = SqliteWriter.acquire(store.location);
  const ledger = await Ledger.open(store, {
    tenantId: 'probe',
    origin: 'probe.custodia.example/audit',
    signingKey: randomSeed(),
    cadence: { everyEntries: 10_000, everyMs: 1000 },
  });
  const entries = Array.from({ length: count }, (_, i) => sampleEntry(i));
  const loadBefore = loadavg()[0]!;
  let next = 0;
  const cpuBefore = threadCpu();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (next < entries.length) await ledger.append(entries[next++]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // CPU of the main thread and of the busiest other one (the writer): unlike the writer's own
  // wall time, not inflated when the machine is busy with other work.
  const cpuAfter = threadCpu();
  // What the indexer had not done by the end (a version with derived query indexes only).
  const indexStarted = performance.now();
  await (ledger as { updateIndex?: () => Promise<number> }).updateIndex?.();
  const indexTailMs = performance.now() - indexStarted;
  const used = [...cpuAfter].map(([tid, s]) => ({ tid, s: s - (cpuBefore.get(tid) ?? 0) }));
  const main = used.find((t) => t.tid === String(process.pid))?.s ?? 0;
  const others = used.filter((t) => t.tid !== String(process.pid)).sort((a, b) => b.s - a.s);
  // (Absent from a version without the counters: then only the rate is printed.)
  const stats: Partial<WriterStats> = { ...(writer as { stats?: WriterStats }).stats };
  await ledger.close();
  await writer.release();
  await store.close();
  const batches = stats.entryBatches ?? 0;
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  console.log(
    JSON.stringify({
      root,
      appendsPerS: Math.round(count / seconds),
      ...(batches > 0 && {
        // Entry batches, the thread's time in each, and everything it did (checkpoints, index
        // updates) as a share of the run's wall time.
        commits: batches,
        entriesPerCommit: round(count / batches, 1),
        writerMsPerCommit: round(stats.entryBatchMs! / batches, 3),
        otherTransactions: stats.transactions! - batches,
        otherMs: round(stats.busyMs! - stats.entryBatchMs!, 1),
        writerBusy: round(stats.busyMs! / 1000 / seconds, 2),
      }),
      indexTailMs: round(indexTailMs, 1),
      cpuSeconds: {
        main: round(main, 2),
        writer: round(others[0]?.s ?? 0, 2),
        rest: round(
          others.slice(1).reduce((sum, t) => sum + t.s, 0),
          2,
        ),
      },
      load: [loadBefore, loadavg()[0]],
    }),
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
