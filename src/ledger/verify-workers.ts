/**
 * Verification spread over threads (SQLite): workers with read-only connections of their own
 * read pages of entries, recompute every leaf hash and, for a page that is a complete aligned
 * subtree (2^k entries from a multiple of 2^k), every node hash inside it; the calling thread
 * only combines page roots and checks the signed roots. The workers also compare the stored tile
 * hashes of their pages with the ones they computed. Hashing is the cost (node:crypto is
 * called once per entry and once per inner node), so it all happens where the cores are.
 * With the search columns asked for, each worker also has SQLite compare them with the entry
 * JSON for its page (in C, on the rows its page read just brought into the cache).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

// Plain JavaScript: a worker does not inherit the TypeScript loader the CLI registers (and
// registering it would cost more start-up than a short log takes to verify). It does what
// `readPage` and `checkLeafHashes` in verify.ts do; anything unusual in a page (a gap, a hash of
// the wrong size, a difference) answers without hashes and the caller looks row by row.
//
// The entries come back joined by 0x00 bytes, so each leaf hash input (0x00 || entry) is a slice
// of one buffer. Canonical JSON has no 0x00 byte (it escapes control characters), and the page
// must split into exactly as many slices as it has rows: an entry with a 0x00 byte in it makes
// one slice too many, the page fails, and the row-by-row path reports that entry.
const PAGE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const Database = require(workerData.module);
const { file, tenantId, tileLevel, columnSql } = workerData;
const db = new Database(file, { readonly: true, fileMustExist: true });
const readPage = db.prepare(\`select count(*), min(idx), max(idx),
    cast(x'00' || group_concat(entry, x'00') as blob), cast(group_concat(leaf_hash, '') as blob)
  from (select idx, entry, leaf_hash from ledger_leaf
    where tenant_id = ? and idx >= ? and idx < ? order by idx)\`).raw(true);
const columnSuspect = columnSql ? db.prepare(columnSql).pluck(true) : undefined;
const readTiles = db.prepare(\`select count(*), min(idx), max(idx), cast(group_concat(hash, '') as blob)
  from (select idx, hash from ledger_node
    where tenant_id = ? and level = ? and idx >= ? and idx < ? order by idx)\`).raw(true);

/** The page's stored leaf hashes once every one is recomputed and equal; undefined otherwise. */
function leafHashes(start, end) {
  const [n, lo, hi, joined, hashes] = readPage.get(tenantId, start, end);
  const count = end - start;
  if (n !== count || lo !== start || hi !== end - 1 || !joined || !hashes) return undefined;
  if (hashes.length !== count * 32) return undefined;
  const stored = hashes.toString('latin1');
  // Plain Uint8Array views: Buffer.subarray cost about a third of a hash more per entry here.
  const bytes = joined.buffer;
  const base = joined.byteOffset;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = joined.indexOf(0, at + 1);
    if ((next < 0) !== (i === count - 1)) return undefined;
    const stop = next < 0 ? joined.length : next;
    const leaf = new Uint8Array(bytes, base + at, stop - at);
    if (!stored.startsWith(hash('sha256', leaf, 'latin1'), i * 32)) return undefined;
    at = stop;
  }
  return hashes;
}

const scratch = new Uint8Array(65);
scratch[0] = 1;
const input = new DataView(scratch.buffer);

/** Node hashes of the pairs in src (width of them) into dst: SHA-256(0x01 || left || right). */
function pairHashes(src, dst, width) {
  const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < width; i++) {
    // Copied by hand and read back by character: a call into C++ per copy cost more than the hash.
    for (let k = 0; k < 64; k += 4) input.setUint32(1 + k, from.getUint32(64 * i + k));
    const digest = hash('sha256', scratch, 'latin1');
    for (let k = 0, o = 32 * i; k < 32; k++) dst[o + k] = digest.charCodeAt(k);
  }
}

/** The subtree's nodes from the tile level up, level by level, its root last. */
function subtreeNodes(leaves, count) {
  const out = new Uint8Array(((2 * count) >> tileLevel) * 32 - 32);
  let level = leaves;
  let width = count;
  let at = 0;
  if (tileLevel === 0) { out.set(leaves); at = leaves.length; }
  for (let l = 1; width > 1; l++) {
    width /= 2;
    const next = l >= tileLevel ? out.subarray(at, at + width * 32) : new Uint8Array(width * 32);
    pairHashes(level, next, width);
    if (l >= tileLevel) at += width * 32;
    level = next;
  }
  return out;
}

/** Whether the stored tile hashes of the page are the ones its leaves give (the first nodes). */
function tilesMatch(start, count, nodes) {
  const first = start >> tileLevel;
  const tiles = count >> tileLevel;
  const [n, lo, hi, stored] = readTiles.get(tenantId, tileLevel, first, first + tiles);
  if (n !== tiles || lo !== first || hi !== first + tiles - 1 || !stored) return false;
  return stored.length === tiles * 32 && stored.equals(nodes.subarray(0, tiles * 32));
}

function check(start, end, columns) {
  const answer = {};
  if (columns) {
    const suspect = columnSuspect.get(tenantId, start, end);
    if (suspect !== null && suspect !== undefined) answer.columnSuspect = Number(suspect);
  }
  const hashes = leafHashes(start, end);
  if (!hashes) return answer;
  const count = end - start;
  answer.leaves = new Uint8Array(hashes);
  const aligned = (count & (count - 1)) === 0 && start % count === 0 && count >= 2 ** tileLevel;
  if (aligned) {
    answer.nodes = subtreeNodes(answer.leaves, count);
    answer.tilesMatch = tilesMatch(start, count, answer.nodes);
  }
  return answer;
}

parentPort.on('message', ({ id, start, end, columns }) => {
  let answer;
  // On any error the page proves nothing: the caller goes row by row, and checks its columns.
  try { answer = check(start, end, columns); } catch { answer = columns ? { columnSuspect: start } : {}; }
  const transfer = [answer.leaves, answer.nodes].filter(Boolean).map((b) => b.buffer);
  parentPort.postMessage({ id, ...answer }, transfer);
});
`;

/** What a worker found in a page. */
export interface CheckedPage {
  /** The page's leaf hashes, 32 bytes each, when every one was recomputed and equal. */
  leaves?: Buffer;
  /**
   * With `leaves`, when the page is a complete aligned subtree of at least one tile: its node
   * hashes from the tile level up, level by level, its root last (`CompactTree.appendSubtree`).
   */
  nodes?: Buffer;
  /** With `nodes`: whether the stored hashes of the page's tiles (ledger_node) are equal to them. */
  tilesMatch?: boolean;
  /** The first entry of the page whose search columns SQLite finds different from its JSON. */
  columnSuspect?: number;
}

type Pending = { resolve: (page: CheckedPage) => void; reject: (error: unknown) => void };

type Reply = {
  id: number;
  leaves?: Uint8Array;
  nodes?: Uint8Array;
  tilesMatch?: boolean;
  columnSuspect?: number;
};

const asBuffer = (bytes: Uint8Array | undefined): Buffer | undefined =>
  bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface PageWorkerOptions {
  file: string;
  tenantId: string;
  /** The tree's tile level: the lowest level of the nodes sent back. */
  tileLevel: number;
  /**
   * SQLite for the first entry in (tenant, start, end) whose columns differ from its JSON, as
   * `min(idx)`; without it the columns are not checked.
   */
  columnSql?: string;
}

/** A few page workers on one SQLite file; `check(start, end)` proves a page's hashes. */
export class PageWorkers {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Pages each worker has in hand. */
  private readonly load: number[] = [];
  private nextId = 0;
  private failed: unknown;

  constructor(options: PageWorkerOptions, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(PAGE_WORKER, {
        eval: true,
        workerData: { module: require.resolve('better-sqlite3'), ...options },
      });
      this.load.push(0);
      worker.on('message', (message: Reply) => {
        this.load[i]!--;
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        const page: CheckedPage = {};
        if (message.leaves) page.leaves = asBuffer(message.leaves);
        if (message.nodes) page.nodes = asBuffer(message.nodes);
        if (message.tilesMatch !== undefined) page.tilesMatch = message.tilesMatch;
        if (message.columnSuspect !== undefined) page.columnSuspect = message.columnSuspect;
        waiting?.resolve(page);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a verification worker exited with ${code}`));
      });
      this.workers.push(worker);
    }
  }

  private fail(error: unknown): void {
    this.failed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** What the page [start, end) holds; `columns` also has SQLite compare its search columns. */
  check(start: number, end: number, columns: boolean): Promise<CheckedPage> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const id = this.nextId++;
    // The least busy worker: on a shared machine one may be slowed while the other is not.
    const which = this.load.indexOf(Math.min(...this.load));
    this.load[which]!++;
    const worker = this.workers[which]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, start, end, columns });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
