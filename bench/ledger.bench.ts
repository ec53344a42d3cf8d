/**
 * Ledger benchmarks: durable appends per second on SQLite (WAL, synchronous=FULL) with many
 * concurrent appenders; inclusion proof generation at one million entries; verification rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CompactTree,
  Ledger,
  inclusionPath,
  leafHash,
  ledgerMigrations,
  randomSeed,
  verifyLog,
} from '../src/ledger/index.js';
import { encodeEntry } from '../src/ledger/entry.js';
import { sampleEntry } from '../src/ledger/testing.js';
import { migrateToLatest, openStore } from '../src/store/index.js';
import { median, quick, writeResult, type Metric } from './lib/report.js';

const ORIGIN = 'bench.custodia.example/audit';
const runs = quick ? 1 : 3;
const appendsPerRun = quick ? 20_000 : 200_000;
const appenders = 2048;

async function appendRun() {
  const dataDir = mkdtempSync(join(tmpdir(), 'custodia-ledger-bench-'));
  const store = await openStore({ dataDir });
  await migrateToLatest(store, ledgerMigrations);
  const seed = randomSeed();
  const ledger = await Ledger.open(store, {
    tenantId: 'bench',
    origin: ORIGIN,
    signingKey: seed,
    cadence: { everyEntries: 10_000, everyMs: 1000 },
  });
  const entries = Array.from({ length: appendsPerRun }, (_, i) => sampleEntry(i));
  let next = 0;
  const started = performance.now();
  // Each appender waits for its entry to be durable before sending the next, as API handlers do.
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (next < entries.length) await ledger.append(entries[next++]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await ledger.checkpoint();
  // The query indexes, derived after the appends: caught up here so that the measurements below
  // do not share the writer with them.
  await ledger.updateIndex();
  return { perSecond: appendsPerRun / seconds, ledger, store, dataDir, seed };
}

function proofMicros(tree: CompactTree, size: number, samples: number): number {
  const source = tree.source();
  const indexes = Array.from({ length: samples }, () => Math.floor(Math.random() * size));
  for (const i of indexes.slice(0, 1000)) inclusionPath(source, i, size);
  const started = performance.now();
  for (const i of indexes) inclusionPath(source, i, size);
  return ((performance.now() - started) * 1000) / samples;
}

const appendRuns: number[] = [];
const serviceProofRuns: number[] = [];
const uncachedProofRuns: number[] = [];
const loadBefore = loadavg();
const verifyRuns: number[] = [];
const verifyHashOnlyRuns: number[] = [];
const verifyHashOnlyOneThreadRuns: number[] = [];
for (let r = 0; r < runs; r++) {
  const { perSecond, ledger, store, dataDir, seed } = await appendRun();
  appendRuns.push(perSecond);
  // Proofs through the service: one tile read from the database plus the in-memory upper tree.
  const samples = quick ? 200 : 2000;
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const index = Math.floor(Math.random() * ledger.size);
    const t0 = performance.now();
    await ledger.inclusionPath(index);
    times.push((performance.now() - t0) * 1000);
  }
  serviceProofRuns.push(median(times));
  // The same with no tile cache: what a proof of an entry older than the cached ~1M costs (one
  // tile read from SQLite). A second, read-only instance on the same store.
  const cold = await Ledger.open(store, {
    tenantId: 'bench',
    origin: ORIGIN,
    signingKey: seed,
    cadence: { everyMs: 0 },
    tileCache: 0,
  });
  const coldTimes: number[] = [];
  for (let i = 0; i < samples; i++) {
    const index = Math.floor(Math.random() * cold.size);
    const t0 = performance.now();
    await cold.inclusionPath(index);
    coldTimes.push((performance.now() - t0) * 1000);
  }
  await cold.close({ checkpoint: false });
  uncachedProofRuns.push(median(coldTimes));
  // Default threads (page workers beside this one, the column check on a connection of its own),
  // and everything on this thread for comparison.
  for (const [checkColumns, workers, out] of [
    [true, undefined, verifyRuns],
    [false, undefined, verifyHashOnlyRuns],
    [false, 0, verifyHashOnlyOneThreadRuns],
  ] as const) {
    const t0 = performance.now();
    const report = await verifyLog(store, {
      tenantId: 'bench',
      origin: ORIGIN,
      logKeys: [ledger.verifierKey],
      checkColumns,
      workers,
    });
    if (!report.ok) throw new Error(`the bench log does not verify: ${JSON.stringify(report.problem)}`);
    out.push(report.entriesChecked / ((performance.now() - t0) / 1000));
  }
  await ledger.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  global.gc?.();
}

// One million entries in memory (full tree, base level 0), built from precomputed leaf hashes.
const million = 1_000_000;
const tree = new CompactTree(0);
const buildStarted = performance.now();
const scratch = Buffer.alloc(8);
for (let i = 0; i < million; i++) {
  scratch.writeDoubleBE(i);
  tree.append(leafHash(scratch));
}
const buildSeconds = (performance.now() - buildStarted) / 1000;
const proofRuns = Array.from({ length: runs }, () => proofMicros(tree, million, quick ? 20_000 : 100_000));
// Pure verification rate: leaf hash of canonical bytes plus tree rebuild, no database (the
// one-entry-at-a-time API; verifyLog hashes packed pages instead).
const bytes = Array.from({ length: 100_000 }, (_, i) => Buffer.from(JSON.stringify(sampleEntry(i))));
const pureVerifyRuns = Array.from({ length: runs }, () => {
  const t0 = performance.now();
  const check = new CompactTree(4);
  for (const b of bytes) check.append(leafHash(b));
  check.root();
  return bytes.length / ((performance.now() - t0) / 1000);
});

// The floor under any verifier built on node:crypto: the SHA-256 calls RFC 9162 cannot do without
// (one per leaf over 0x00 || entry, one per inner node over 65 bytes: about one of each per
// entry), and nothing else (no database, no comparison, no copy), on every core at once over the
// same entry bytes. verifyLog also reads the pages, compares the stored hashes and checks columns.
const FLOOR_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const { joined, ends, start } = workerData;
const node = new Uint8Array(65);
node[0] = 1;
parentPort.postMessage('ready');
Atomics.wait(start, 0, 0);
const t0 = performance.now();
let at = 0;
for (let i = 0; i < ends.length; i++) {
  hash('sha256', joined.subarray(at, ends[i]), 'latin1');
  hash('sha256', node, 'latin1');
  at = ends[i];
}
parentPort.postMessage(performance.now() - t0);
`;

async function sha256FloorPerSecond(entries: readonly Uint8Array[], threads: number): Promise<number> {
  const start = new Int32Array(new SharedArrayBuffer(4));
  const share = Math.ceil(entries.length / threads);
  const ready: Promise<unknown>[] = [];
  const times = Array.from({ length: threads }, (_, t) => {
    const mine = entries.slice(t * share, (t + 1) * share);
    const joined = Buffer.concat(mine.flatMap((e) => [Buffer.alloc(1), e]));
    const ends = new Float64Array(mine.length);
    mine.reduce((at, e, i) => (ends[i] = at + 1 + e.length), 0);
    const worker = new Worker(FLOOR_WORKER, { eval: true, workerData: { joined, ends, start } });
    ready.push(new Promise((resolve) => worker.once('message', resolve)));
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (ms: unknown) => {
        if (typeof ms === 'number') void worker.terminate().then(() => resolve(ms));
      });
      worker.once('error', reject);
    });
  });
  // Every thread waits on the shared flag once it is up, so that they all hash at the same time.
  await Promise.all(ready);
  Atomics.store(start, 0, 1);
  Atomics.notify(start, 0);
  return entries.length / (Math.max(...(await Promise.all(times))) / 1000);
}
const canonical = Array.from({ length: 200_000 }, (_, i) => encodeEntry(sampleEntry(i)));
const cores = availableParallelism();
const floorRuns: number[] = [];
for (let r = 0; r < runs; r++) floorRuns.push(await sha256FloorPerSecond(canonical, cores));

const metrics: Metric[] = [
  { name: 'durable_appends_per_s', runs: appendRuns, budget: { op: '>=', value: 50_000 } },
  { name: 'inclusion_proof_us_1m_in_memory', runs: proofRuns, budget: { op: '<=', value: 100 } },
  { name: 'inclusion_proof_us_service_sqlite', runs: serviceProofRuns, budget: { op: '<=', value: 100 } },
  { name: 'inclusion_proof_us_service_sqlite_uncached_tile', runs: uncachedProofRuns },
  { name: 'verify_entries_per_s_from_store', runs: verifyRuns, budget: { op: '>=', value: 1_000_000 } },
  { name: 'verify_entries_per_s_from_store_hashes_only', runs: verifyHashOnlyRuns },
  { name: 'verify_entries_per_s_from_store_hashes_only_one_thread', runs: verifyHashOnlyOneThreadRuns },
  { name: 'verify_entries_per_s_pure', runs: pureVerifyRuns },
  { name: 'verify_sha256_floor_entries_per_s_all_cores', runs: floorRuns },
];
writeResult('ledger', metrics, {
  notes: {
    appendsPerRun,
    appenders,
    serviceProofLogSize: appendsPerRun,
    millionTreeBuildSeconds: buildSeconds,
    floorCores: cores,
    floorEntryBytes: canonical.reduce((n, e) => n + e.length, 0) / canonical.length,
    // The machine is shared (2 cores): the 1/5/15-minute load averages before and after.
    loadAverage: { before: loadBefore, after: loadavg() },
  },
});
