/**
 * Group commits on SQLite written by a worker thread with a connection of its own. better-sqlite3
 * is synchronous: on the calling thread every insert and fsync of a commit stopped the event loop
 * (about half of an append's cost), while the second core stood idle. Here the calling thread
 * encodes and hashes the next batch while the worker commits the previous one. The worker runs
 * one transaction per message, in the order sent, so commits stay in log order; one worker serves
 * every ledger on the same database file (SQLite has one writer at a time anyway).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Rows for one table, flat (row after row in `columns` order). */
export interface InsertRows {
  table: string;
  columns: readonly string[];
  values: readonly unknown[];
  /** `insert or ignore` (a checkpoint signed twice), rather than failing on a duplicate key. */
  ignoreDuplicates?: boolean;
}

/** One statement with its parameters (`?` placeholders). */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/** One transaction's writes. */
export interface WriteBatch {
  inserts: InsertRows[];
  /** Run after the inserts, in order. */
  statements?: Statement[];
  /**
   * False for data that can be rebuilt (the query indexes): committed without waiting for the
   * disk (synchronous=NORMAL for this transaction). The next durable commit's fsync of the WAL
   * takes it along; a crash before that loses it whole, never half of it.
   */
  durable?: boolean;
  /** Log entries, written before the inserts. */
  entries?: EntryBatch;
}

/**
 * Log entries as their canonical texts, from which this thread derives the ledger_leaf rows: one
 * string and one buffer cross between the threads instead of ten values per entry (structured
 * cloning costs per value: 20–35 µs of CPU for a batch of 16–32 rows, against 7, on the thread
 * that serves requests). Deriving the indexed columns from the stored text keeps the two equal.
 */
export interface EntryBatch {
  tenant: string;
  /**
   * The index of the first entry. A batch starting past 0 commits only if entry `first − 1` is
   * stored: a batch sent behind one that failed must not leave a gap in the log.
   */
  first: number;
  /** The entries' canonical JSON texts joined by `\n` (which canonical JSON never holds raw). */
  texts: string;
  /** Their leaf hashes, 32 bytes each, back to back. */
  leaves: Uint8Array;
}

const require = createRequire(import.meta.url);

// Plain JavaScript: a worker does not inherit the TypeScript loader the CLI registers. The
// pragmas are the store's (src/store/open.ts) that belong to a connection: synchronous=FULL makes
// each commit durable before the reply, which is what resolves the appends. (WAL mode belongs to
// the file, which the store has already put in it.) The busy timeout is longer than the store's:
// this thread has nothing else to do than wait for the main connection's write (an import's
// transaction of thousands of resources), and giving up would fail appends that would succeed.
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 60000');
db.pragma('cache_size = -65536');
const statements = new Map();
function statement(table, columns, rows, ignore) {
  const key = table + '|' + columns.join(',') + '|' + rows + '|' + ignore;
  let s = statements.get(key);
  if (!s) {
    const row = '(' + columns.map(() => '?').join(',') + ')';
    s = db.prepare('insert ' + (ignore ? 'or ignore ' : '') + 'into ' + table + ' (' + columns.join(',') +
      ') values ' + Array.from({ length: rows }, () => row).join(','));
    statements.set(key, s);
  }
  return s;
}
const predecessor = db.prepare('select 1 from ledger_leaf where tenant_id = ? and idx = ?');
const LEAF_COLUMNS = ['tenant_id', 'idx', 'entry', 'leaf_hash', 'kind', 'actor', 'organization', 'action', 'time', 'request_id'];
function leafRows({ tenant, first, texts, leaves }) {
  const values = [];
  const lines = texts.split('\\n');
  for (let i = 0; i < lines.length; i++) {
    const e = JSON.parse(lines[i]);
    values.push(tenant, first + i, Buffer.from(lines[i], 'utf8'), leaves.subarray(i * 32, (i + 1) * 32),
      e.kind, e.actor, e.organization, e.action, e.time, e.requestId === undefined ? null : e.requestId);
  }
  return { table: 'ledger_leaf', columns: LEAF_COLUMNS, values };
}
// Statements of a few fixed sizes (256 rows, then powers of two): compiled once each.
function insert({ table, columns, values, ignoreDuplicates }) {
  const width = columns.length;
  let at = 0;
  while (at < values.length) {
    let rows = 256;
    while (rows * width > values.length - at) rows /= 2;
    const end = at + rows * width;
    statement(table, columns, rows, !!ignoreDuplicates).run(values.slice(at, end));
    at = end;
  }
}
const prepared = new Map();
function run({ sql, params }) {
  let s = prepared.get(sql);
  if (!s) prepared.set(sql, (s = db.prepare(sql)));
  s.run(params);
}
const write = db.transaction((batch) => {
  const e = batch.entries;
  if (e && e.first > 0 && !predecessor.get(e.tenant, e.first - 1))
    throw Object.assign(new Error('entry ' + (e.first - 1) + ' is not stored: the batch would leave a gap'), { code: 'LEDGER_GAP' });
  if (e) insert(leafRows(e));
  for (const rows of batch.inserts) insert(rows);
  if (batch.statements) for (const statement of batch.statements) run(statement);
});
parentPort.on('message', ({ id, batch }) => {
  const started = performance.now();
  const relaxed = batch.durable === false;
  try {
    if (relaxed) db.pragma('synchronous = NORMAL');
    write.immediate(batch);
    parentPort.postMessage({ id, ms: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  } finally {
    if (relaxed) db.pragma('synchronous = FULL');
  }
});
`;

type Pending = { resolve: () => void; reject: (error: unknown) => void; entries: boolean };
type Reply = { id: number; ms?: number; error?: { message: string; code?: string } };

/** What the thread has committed, and the time it spent in it (fsyncs included). */
export interface WriterStats {
  /** Transactions of log entries (batches with `entries`). */
  entryBatches: number;
  entryBatchMs: number;
  /** Every transaction, the above included. */
  transactions: number;
  busyMs: number;
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failed: unknown;
  private users = 0;
  readonly stats: WriterStats = { entryBatches: 0, entryBatchMs: 0, transactions: 0, busyMs: 0 };

  private constructor(readonly file: string) {
    this.worker = new Worker(WRITER, {
      eval: true,
      workerData: { module: require.resolve('better-sqlite3'), file },
    });
    // Idle, the worker must not keep the process alive; with a write pending it must.
    this.worker.unref();
    this.worker.on('message', (message: Reply) => this.settle(message));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`the ledger writer thread exited with ${code}`)));
  }

  /** The writer of a database file, shared by the ledgers on it; `release` when done. */
  static acquire(file: string): SqliteWriter {
    let writer = writers.get(file);
    if (!writer || writer.failed !== undefined) writers.set(file, (writer = new SqliteWriter(file)));
    writer.users++;
    return writer;
  }

  /** False once the thread has failed: callers write through their own connection instead. */
  get usable(): boolean {
    return this.failed === undefined;
  }

  /** Commits the batch in one transaction; resolves once it is committed (durably unless `durable: false`). */
  write(batch: WriteBatch): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, entries: batch.entries !== undefined });
      this.worker.postMessage({ id, batch });
    });
  }

  async release(): Promise<void> {
    if (--this.users > 0) return;
    if (writers.get(this.file) === this) writers.delete(this.file);
    await this.worker.terminate();
  }

  private settle(message: Reply): void {
    const waiting = this.pending.get(message.id);
    if (message.ms !== undefined) {
      this.stats.transactions++;
      this.stats.busyMs += message.ms;
      if (waiting?.entries) {
        this.stats.entryBatches++;
        this.stats.entryBatchMs += message.ms;
      }
    }
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!message.error) return waiting?.resolve();
    waiting?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
  }

  private fail(error: unknown): void {
    this.failed ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker.unref();
  }
}

const writers = new Map<string, SqliteWriter>();
