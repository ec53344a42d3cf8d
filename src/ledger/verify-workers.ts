/**
 * Verification spread over threads (SQLite): workers with read-only connections of their own
 * read pages of entries and recompute every leaf hash, while the calling thread builds the tree
 * from the proven hashes and checks the signed roots. Hashing is the cost (node:crypto is called
 * once per entry), so two cores verify nearly twice as fast as one.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

// Plain JavaScript: a worker does not inherit the TypeScript loader the CLI registers. It does
// what `readPage` and `checkLeafHashes` in verify.ts do; anything unusual in a page (a gap, a
// hash of the wrong size, a difference) answers `undefined` and the caller looks row by row.
const PAGE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const Database = require(workerData.module);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
const page = db.prepare(\`select count(*), min(idx), max(idx),
    cast(group_concat(cast(x'00' || entry as blob), '') as blob),
    group_concat(length(entry)), cast(group_concat(leaf_hash, '') as blob)
  from (select idx, entry, leaf_hash from ledger_leaf
    where tenant_id = ? and idx >= ? and idx < ? order by idx)\`).raw(true);
function check(start, end) {
  const [n, lo, hi, prefixed, lengths, hashes] = page.get(workerData.tenantId, start, end);
  const count = end - start;
  if (n !== count || lo !== start || hi !== end - 1 || !prefixed || !hashes || lengths === null) return undefined;
  if (hashes.length !== count * 32) return undefined;
  const stored = hashes.toString('latin1');
  let at = 0, pos = 0;
  for (let i = 0; i < count; i++) {
    let length = 0, c = lengths.charCodeAt(pos);
    if (!(c >= 48 && c <= 57)) return undefined;
    while (c >= 48 && c <= 57) { length = length * 10 + (c - 48); c = lengths.charCodeAt(++pos); }
    pos++;
    const next = at + 1 + length;
    if (next > prefixed.length) return undefined;
    if (!stored.startsWith(hash('sha256', prefixed.subarray(at, next), 'latin1'), i * 32)) return undefined;
    at = next;
  }
  if (at !== prefixed.length || pos < lengths.length) return undefined;
  return hashes;
}
parentPort.on('message', ({ id, start, end }) => {
  let hashes;
  try { hashes = check(start, end); } catch { hashes = undefined; }
  const copy = hashes && new Uint8Array(hashes);
  parentPort.postMessage({ id, hashes: copy }, copy ? [copy.buffer] : []);
});
`;

type Pending = { resolve: (hashes: Buffer | undefined) => void; reject: (error: unknown) => void };

/** A few page workers on one SQLite file; `check(start, end)` gives the proven leaf hashes. */
export class PageWorkers {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;
  private failed: unknown;

  constructor(file: string, tenantId: string, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(PAGE_WORKER, {
        eval: true,
        workerData: { module: require.resolve('better-sqlite3'), file, tenantId },
      });
      worker.on('message', (message: { id: number; hashes?: Uint8Array }) => {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        const hashes = message.hashes;
        waiting?.resolve(hashes && Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength));
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

  /** The page's stored leaf hashes once every one is recomputed and equal; undefined otherwise. */
  check(start: number, end: number): Promise<Buffer | undefined> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, start, end });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
