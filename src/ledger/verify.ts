/**
 * `custodia ledger verify`: recomputes a tenant's log from the stored entry bytes and compares it
 * with everything that was signed. Any change, deletion, reordering or truncation of entries
 * changes a leaf hash, leaves a gap, or moves a signed root, and is reported with its index.
 *
 * The search columns of ledger_leaf are checked against the entry bytes; the query index tables
 * (ledger_subject, ledger_actor, ledger_action, ledger_time_block) are not: they are derived
 * from ledger_leaf (indexer.ts), a query never returns an entry on their word alone (each row is
 * checked against the verified columns and bytes), and a damaged index (rows removed to hide an
 * entry from queries) is repaired by `custodia ledger reindex` (`Ledger.rebuildIndex`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Store } from '../store/index.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { TILE_LEVEL } from './stored-log.js';
import { HASH_SIZE, leafHash } from './merkle.js';
import { parseVerifierKey, type VerifierKey } from './note.js';
import { bytesEqual, sha256Latin1, toBase64 } from './primitives.js';
import type { LedgerTables } from './schema.js';
import { CompactTree, type TileReader } from './tree.js';
import { PageWorkers, type CheckedPage } from './verify-workers.js';

export type ProblemKind =
  'gap' | 'leaf-hash' | 'entry' | 'columns' | 'tile-hash' | 'root' | 'truncated' | 'checkpoint';

export interface VerifyProblem {
  kind: ProblemKind;
  /** The first entry (or, for checkpoints and roots, the tree size) where it went wrong. */
  index: number;
  message: string;
  zh: string;
}

export type VerifyReport =
  | { ok: true; size: number; root: string; checkpointsChecked: number; entriesChecked: number }
  | { ok: false; problem: VerifyProblem; entriesChecked: number };

export interface VerifyOptions {
  tenantId: string;
  origin: string;
  /** The log's verifier keys (`name+hash+base64`, or parsed). */
  logKeys: readonly (string | VerifierKey)[];
  /** A checkpoint trusted from elsewhere (a witness, the user's own copy): the log must agree. */
  trusted?: string[];
  /** Also check the indexed columns against the entry bytes (slower; default true). */
  checkColumns?: boolean;
  /**
   * Entries read per query (default 4096). A power of two makes each page a subtree that a worker
   * hashes whole; 4096 (about 1 MB of entries) cost less CPU per entry here than 16384, the
   * page staying in the core's cache between reading and hashing.
   */
  chunk?: number;
  /**
   * Threads that read and hash pages beside this one (SQLite only; default: one per core, none
   * for a log of fewer than 65536 entries). 0 does everything on this thread.
   */
  workers?: number;
  /** Called after each chunk with the entries checked so far and the log's size. */
  onProgress?: (checked: number, total: number) => void;
}

type Db = Kysely<LedgerTables>;

export async function verifyLog(store: Store, options: VerifyOptions): Promise<VerifyReport> {
  const db = store.tables<LedgerTables>();
  const keys = options.logKeys.map((k) => {
    if (typeof k !== 'string') return k;
    const parsed = parseVerifierKey(k);
    if (!parsed.ok) throw new TypeError(`bad log key: ${parsed.problem}`);
    return parsed.value;
  });
  const checkColumns = options.checkColumns ?? true;
  let entriesChecked = 0;
  const fail = (kind: ProblemKind, index: number, message: string, zh: string): VerifyReport => ({
    ok: false,
    problem: { kind, index, message, zh },
    entriesChecked,
  });

  // Every checkpoint the log signed, plus the trusted ones, must verify and match a prefix.
  const signed: Checkpoint[] = [];
  const rows = await db
    .selectFrom('ledger_checkpoint')
    .select(['size', 'root', 'note'])
    .where('tenant_id', '=', options.tenantId)
    .where('origin', '=', options.origin)
    .orderBy('size')
    .execute();
  for (const row of [
    ...rows,
    ...(options.trusted ?? []).map((note) => ({ size: -1, root: undefined, note })),
  ]) {
    const opened = openCheckpoint(row.note, options.origin, keys);
    if (!opened.ok)
      return fail(
        'checkpoint',
        Number(row.size),
        `checkpoint ${row.size}: ${opened.problem}`,
        `检查点 ${row.size} 无效`,
      );
    if (row.root && (opened.value.size !== Number(row.size) || !bytesEqual(opened.value.root, row.root)))
      return fail(
        'checkpoint',
        Number(row.size),
        `the columns of checkpoint ${row.size} differ from its signed note`,
        `检查点 ${row.size} 的列与签名内容不符`,
      );
    signed.push(opened.value);
  }
  signed.sort((a, b) => a.size - b.size);

  const tree = new CompactTree(TILE_LEVEL);
  /** Stored tile hashes before this one were compared (by page workers) with the tree's. */
  let tilesChecked = 0;
  let pendingCheckpoint = 0;
  /** Checks every signed root of this size against the tree (`tiles`: leaf hashes below it). */
  const checkRoots = (size: number, tiles?: TileReader): VerifyReport | undefined => {
    while (pendingCheckpoint < signed.length && signed[pendingCheckpoint]!.size === size) {
      const cp = signed[pendingCheckpoint++]!;
      if (!bytesEqual(tree.root(size, tiles), cp.root))
        return fail(
          'root',
          cp.size,
          `the first ${cp.size} entries do not hash to the signed root of that size: an entry was changed, removed or moved`,
          `前 ${cp.size} 条记录与签名根哈希不符：记录被修改、删除或调换`,
        );
    }
    return undefined;
  };
  const initial = checkRoots(0);
  if (initial) return initial;
  const top = await db
    .selectFrom('ledger_leaf')
    .select(sql<number | null>`max(idx)`.as('max'))
    .where('tenant_id', '=', options.tenantId)
    .executeTakeFirst();
  const total = top?.max === null || top?.max === undefined ? 0 : Number(top.max) + 1;

  const pageSize = Math.max(1, options.chunk ?? 4096);
  const sqlite = store.dialect === 'sqlite';
  const workers = await pageWorkers(store, options, total, checkColumns);
  // The search columns: on SQLite the database compares them with the entry JSON (in C): page
  // workers do it for each page they read; without them one query on a connection of its own
  // in a worker thread covers the whole log while this thread hashes. Elsewhere each page's rows
  // are parsed here. Either way a column problem is reported only if nothing went wrong before
  // it, as a row-by-row check would.
  const wholeLogColumnCheck =
    checkColumns && sqlite && !workers ? firstColumnProblem(store, db, options.tenantId) : undefined;
  let pageColumnProblem: { index: number; message: string } | undefined;
  const columnProblemBefore = async (checked: number): Promise<VerifyReport | undefined> => {
    const found = pageColumnProblem ?? (wholeLogColumnCheck ? await wholeLogColumnCheck : undefined);
    if (!found || found.index >= checked) return undefined;
    entriesChecked = found.index;
    return fail('columns', found.index, found.message, `第 ${found.index} 条记录的索引列或内容无效`);
  };
  /** A problem found with `checked` entries behind it, unless a column problem came first. */
  const failAfter = async (report: VerifyReport, checked: number): Promise<VerifyReport> =>
    (await columnProblemBefore(checked)) ?? report;

  const inProcess = async (start: number, end: number): Promise<CheckedPage> => {
    const page = await readPage(db, store.dialect, options.tenantId, start, end);
    return page && checkLeafHashes(page) ? { leaves: page.hashes } : {};
  };
  // Pages are asked for ahead (each worker keeps two in hand) and used in order.
  const ahead: Promise<CheckedPage>[] = [];
  let asked = 0;
  const ask = () => {
    const limit = workers ? 2 * workers.size : 1;
    while (ahead.length < limit && asked < total) {
      const start = asked;
      const end = Math.min(total, start + pageSize);
      const answer = workers ? workers.pool.check(start, end, checkColumns) : inProcess(start, end);
      answer.catch(() => undefined); // awaited in order below; not unhandled meanwhile
      ahead.push(answer);
      asked = end;
    }
  };
  try {
    for (let start = 0; start < total; start += pageSize) {
      const end = Math.min(total, start + pageSize);
      if (checkColumns && !sqlite && !pageColumnProblem)
        pageColumnProblem = await pageColumns(db, options.tenantId, start, end);
      ask();
      const page = await ahead.shift()!;
      ask();
      if (page.columnSuspect !== undefined && !pageColumnProblem)
        pageColumnProblem = await firstColumnProblem(
          store,
          db,
          options.tenantId,
          page.columnSuspect - 1,
          end,
        );
      const bad = page.leaves ? provenPage(start, end, page) : await slowPage(start, end);
      if (bad) return failAfter(bad, entriesChecked);
      options.onProgress?.(entriesChecked, Math.max(total, entriesChecked));
      if (pageColumnProblem && pageColumnProblem.index < entriesChecked) break;
    }
  } finally {
    await workers?.pool.close();
  }
  const columns = await columnProblemBefore(Number.POSITIVE_INFINITY);
  if (columns) return columns;
  if (entriesChecked < total) throw new Error('verification stopped early without a problem');
  if (pendingCheckpoint < signed.length) {
    const cp = signed[pendingCheckpoint]!;
    return fail(
      'truncated',
      tree.size,
      `the log has ${tree.size} entries but a checkpoint of size ${cp.size} was signed: entries were removed from the end`,
      `日志仅有 ${tree.size} 条，但已签名检查点大小为 ${cp.size}：末尾记录被删除`,
    );
  }
  const tileProblem = await checkTiles(db, options.tenantId, tree, tilesChecked);
  if (tileProblem !== undefined)
    return fail(
      'tile-hash',
      tileProblem * tree.tileSize,
      `the stored subtree hash of tile ${tileProblem} is wrong: proofs would not verify`,
      `第 ${tileProblem} 块子树哈希被篡改`,
    );
  return {
    ok: true,
    size: tree.size,
    root: toBase64(tree.root()),
    checkpointsChecked: signed.length,
    entriesChecked,
  };

  /**
   * Every leaf hash of the page matches: the stored hashes, now proven, are the leaves. A page
   * that is a whole aligned subtree comes with its nodes and is appended as one; otherwise the
   * leaves are fed to the tree up to each signed size inside the page. Either way each signed
   * root of a size in the page is checked.
   */
  function provenPage(start: number, end: number, page: CheckedPage): VerifyReport | undefined {
    const leaves = page.leaves!;
    const count = end - start;
    if (page.nodes && tree.size === start) {
      tree.appendSubtree(Math.log2(count), page.nodes);
      // Tiles checked by the worker, if every tile before them is too (the rest: checkTiles).
      if (page.tilesMatch && tilesChecked === start / tree.tileSize) tilesChecked = end / tree.tileSize;
      const tiles = pageTiles(leaves, start, tree.tileSize);
      for (let size = nextCheckpointSize(); size > start && size <= end; size = nextCheckpointSize()) {
        entriesChecked = size;
        const bad = checkRoots(size, tiles);
        if (bad) return bad;
      }
      entriesChecked = end;
      return undefined;
    }
    let done = 0;
    while (done < count) {
      const next = nextCheckpointSize();
      const stop = next > start + done && next <= end ? next - start : count;
      tree.stagePacked(leaves.subarray(done * HASH_SIZE, stop * HASH_SIZE), stop - done).commit();
      done = stop;
      entriesChecked = start + done;
      const bad = checkRoots(tree.size);
      if (bad) return bad;
    }
    return undefined;
  }

  /** The size of the next signed checkpoint still to check, or -1. */
  function nextCheckpointSize(): number {
    return signed[pendingCheckpoint]?.size ?? -1;
  }

  /** Rows one at a time from `start` (where the tree stands) up to the first problem. */
  async function slowPage(start: number, end: number): Promise<VerifyReport | undefined> {
    const rows = await db
      .selectFrom('ledger_leaf')
      .select(['idx', 'entry', 'leaf_hash'])
      .where('tenant_id', '=', options.tenantId)
      .where('idx', '>=', start)
      .where('idx', '<', end)
      .orderBy('idx')
      .execute();
    let next = start;
    for (const row of rows) {
      const index = Number(row.idx);
      if (index !== next) return fail('gap', next, `entry ${next} is missing`, `第 ${next} 条记录缺失`);
      const hash = leafHash(row.entry);
      if (!bytesEqual(hash, row.leaf_hash))
        return fail(
          'leaf-hash',
          index,
          `entry ${index} does not hash to its stored leaf hash: it was changed`,
          `第 ${index} 条记录内容被修改`,
        );
      tree.appendLeaf(hash);
      entriesChecked++;
      next++;
      const bad = checkRoots(next);
      if (bad) return bad;
    }
    return next === end ? undefined : fail('gap', next, `entry ${next} is missing`, `第 ${next} 条记录缺失`);
  }
}

/**
 * Entries from which page workers pay: starting two threads with a database connection each took
 * about 100 ms here, about what this thread alone verifies of 25,000 entries. Measured with the
 * machine shared (load 4 on 2 cores), this thread alone was faster up to 65,536 entries, about
 * even at 131,072, and behind at 300,000; with cores to spare the workers pay sooner.
 */
const WORKERS_FROM = 65_536;

/** Page workers for a log worth them, or undefined (PostgreSQL, small logs, no workers wanted). */
async function pageWorkers(
  store: Store,
  options: VerifyOptions,
  total: number,
  checkColumns: boolean,
): Promise<{ pool: PageWorkers; size: number } | undefined> {
  const size = options.workers ?? (total >= WORKERS_FROM ? Math.min(4, availableParallelism()) : 0);
  if (size <= 0 || store.dialect !== 'sqlite' || !existsSync(store.location)) return undefined;
  const pool = new PageWorkers(
    {
      file: store.location,
      tenantId: options.tenantId,
      tileLevel: TILE_LEVEL,
      ...(checkColumns ? { columnSql: PAGE_COLUMN_SQL } : {}),
    },
    size,
  );
  return { pool, size };
}

interface Page {
  count: number;
  /** Each entry's bytes after a 0x00 byte, back to back: the leaf hash inputs. */
  prefixed: Buffer;
  /** Byte lengths of the entries, comma-separated. */
  lengths: string;
  /** The stored leaf hashes, 32 bytes each. */
  hashes: Buffer;
}

/**
 * Entries [start, end) in one row: their bytes (each after a 0x00), their lengths and their
 * stored leaf hashes concatenated by the database, in index order. One blob per page instead of
 * two per entry: creating a Buffer per value cost more than hashing it. Undefined when the
 * page is not exactly the entries start to end − 1 (a gap) or a stored hash is not 32 bytes;
 * the row-by-row path then finds out what is wrong.
 */
async function readPage(
  db: Db,
  dialect: Store['dialect'],
  tenantId: string,
  start: number,
  end: number,
): Promise<Page | undefined> {
  // SQLite: the subquery's ORDER BY holds because an aggregate query never flattens a subquery
  // that has one (the rows reach group_concat in index order). `||` on blobs keeps every byte.
  const query =
    dialect === 'sqlite'
      ? sql<PageRow>`select count(*) as n, min(idx) as lo, max(idx) as hi,
          cast(group_concat(cast(x'00' || entry as blob), '') as blob) as prefixed,
          group_concat(length(entry)) as lengths,
          cast(group_concat(leaf_hash, '') as blob) as hashes
        from (select idx, entry, leaf_hash from ledger_leaf
          where tenant_id = ${tenantId} and idx >= ${start} and idx < ${end} order by idx)`
      : sql<PageRow>`select count(*) as n, min(idx) as lo, max(idx) as hi,
          string_agg(decode('00', 'hex') || entry, ''::bytea order by idx) as prefixed,
          string_agg(length(entry)::text, ',' order by idx) as lengths,
          string_agg(leaf_hash, ''::bytea order by idx) as hashes
        from ledger_leaf where tenant_id = ${tenantId} and idx >= ${start} and idx < ${end}`;
  const row = (await query.execute(db)).rows[0];
  const count = end - start;
  if (!row || Number(row.n) !== count || Number(row.lo) !== start || Number(row.hi) !== end - 1)
    return undefined;
  if (!row.prefixed || !row.hashes || row.lengths === null) return undefined;
  const hashes = Buffer.from(row.hashes.buffer, row.hashes.byteOffset, row.hashes.byteLength);
  if (hashes.length !== count * HASH_SIZE) return undefined;
  const prefixed = Buffer.from(row.prefixed.buffer, row.prefixed.byteOffset, row.prefixed.byteLength);
  return { count, prefixed, lengths: String(row.lengths), hashes };
}

interface PageRow {
  n: number;
  lo: number | null;
  hi: number | null;
  prefixed: Uint8Array | null;
  lengths: string | null;
  hashes: Uint8Array | null;
}

/**
 * Recomputes every leaf hash of a page from the entry bytes and compares it with the stored
 * one; false at the first difference (or lengths that do not add up).
 */
function checkLeafHashes(page: Page): boolean {
  const stored = page.hashes.toString('latin1');
  const { lengths, prefixed } = page;
  let at = 0;
  let pos = 0;
  for (let i = 0; i < page.count; i++) {
    let length = 0;
    let c = lengths.charCodeAt(pos);
    if (!(c >= 48 && c <= 57)) return false;
    while (c >= 48 && c <= 57) {
      length = length * 10 + (c - 48);
      c = lengths.charCodeAt(++pos);
    }
    pos++; // the comma
    const next = at + 1 + length;
    if (next > prefixed.length) return false;
    // Compared as latin1 strings: one character per byte, no Buffer per digest.
    if (!stored.startsWith(sha256Latin1(prefixed.subarray(at, next)), i * HASH_SIZE)) return false;
    at = next;
  }
  return at === prefixed.length && pos >= lengths.length;
}

/** The first entry in [start, end) whose search columns disagree with its bytes (JSON parsed here). */
async function pageColumns(
  db: Db,
  tenantId: string,
  start: number,
  end: number,
): Promise<{ index: number; message: string } | undefined> {
  const rows = await db
    .selectFrom('ledger_leaf')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('idx', '>=', start)
    .where('idx', '<', end)
    .orderBy('idx')
    .execute();
  for (const row of rows) {
    const problem = columnProblem(row, Number(row.idx));
    if (problem) return { index: Number(row.idx), message: problem };
  }
  return undefined;
}

type LeafRow = Pick<Selectable<LedgerTables['ledger_leaf']>, 'idx' | 'entry' | 'leaf_hash'> &
  Partial<Selectable<LedgerTables['ledger_leaf']>>;

/**
 * Whether the search columns agree with the entry bytes (a changed actor column would hide an
 * entry from queries without touching its hash). Parses the JSON but skips the full entry
 * check: the bytes were already proven to be the ones the log signed.
 */
function columnProblem(row: LeafRow, index: number): string | undefined {
  let e: Partial<AuditEntry>;
  try {
    e = JSON.parse(Buffer.from(row.entry).toString('utf8')) as Partial<AuditEntry>;
  } catch (error) {
    return `entry ${index} is not valid JSON: ${(error as Error).message}`;
  }
  if (
    e.kind !== row.kind ||
    e.actor !== row.actor ||
    e.organization !== row.organization ||
    e.action !== row.action ||
    e.time !== Number(row.time) ||
    (e.requestId ?? null) !== row.request_id
  )
    return `the search columns of entry ${index} differ from its bytes`;
  return undefined;
}

/**
 * SQLite: true for a row whose search columns disagree with its entry JSON, or whose bytes are
 * not JSON, or with a column that is a blob (`CASE` makes sure nothing is extracted from invalid
 * JSON and no blob goes into JSON, either of which would be an error; the parse is cached for the
 * extraction). The six fields come out in one JSON array and the columns go into another: one
 * walk of the entry and one text comparison, about a sixth cheaper here than six extractions
 * compared one by one. Where the two texts differ only in how a value is written (an escape, a
 * time stored as text), the row is flagged and the check on this side (`columnProblem`) decides.
 */
const COLUMN_MISMATCH = `case when json_valid(cast(entry as text))
    and typeof(kind) <> 'blob' and typeof(actor) <> 'blob' and typeof(organization) <> 'blob'
    and typeof(action) <> 'blob' and typeof(time) <> 'blob' and typeof(request_id) <> 'blob'
  then json_extract(cast(entry as text), '$.kind', '$.actor', '$.organization', '$.action',
      '$.time', '$.requestId')
    is not json_array(kind, actor, organization, action, time, request_id)
  else 1 end`;

/** The first suspect of a page, for the page workers: parameters tenant, start, end. */
const PAGE_COLUMN_SQL = `select min(idx) from ledger_leaf
  where tenant_id = ? and idx >= ? and idx < ? and ${COLUMN_MISMATCH}`;

/**
 * The first entry after `after` (and before `end`) whose search columns disagree with its JSON
 * (or whose bytes are not JSON), by SQLite's JSON functions. Each row the database flags is
 * checked again here (so the message says what is wrong); should the two ever disagree, the
 * search goes on after it.
 */
async function firstColumnProblem(
  store: Store,
  db: Db,
  tenantId: string,
  after = -1,
  end = Number.MAX_SAFE_INTEGER,
): Promise<{ index: number; message: string } | undefined> {
  const wholeLog = after < 0 && end === Number.MAX_SAFE_INTEGER;
  for (;;) {
    const query = db
      .selectFrom('ledger_leaf')
      .select(sql<number | null>`min(idx)`.as('first'))
      .where('tenant_id', '=', tenantId)
      .where('idx', '>', after)
      .where('idx', '<', end)
      .where(sql<boolean>`${sql.raw(COLUMN_MISMATCH)}`);
    const compiled = query.compile();
    // The first pass over the whole log runs on a connection of its own in a worker thread,
    // beside the hashing on this one; if that cannot be had, here.
    const first =
      wholeLog && store.location.endsWith('.db')
        ? await inWorker(store.location, compiled.sql, compiled.parameters).catch(
            async () => (await query.executeTakeFirst())?.first,
          )
        : (await query.executeTakeFirst())?.first;
    if (first === null || first === undefined) return undefined;
    const index = Number(first);
    const row = await db
      .selectFrom('ledger_leaf')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('idx', '=', index)
      .executeTakeFirstOrThrow();
    const problem = columnProblem(row, index);
    if (problem) return { index, message: problem };
    after = index;
  }
}

const require = createRequire(import.meta.url);

// Plain JavaScript (a worker does not inherit the TypeScript loader the CLI registers).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
try {
  const row = db.prepare(workerData.sql).get(...workerData.parameters);
  parentPort.postMessage({ first: row ? row.first : null });
} finally {
  db.close();
}
`;

/** Runs one read-only SQLite query for a single `first` column in a worker thread. */
function inWorker(file: string, text: string, parameters: readonly unknown[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: require.resolve('better-sqlite3'), file, sql: text, parameters },
    });
    let answered = false;
    worker.once('message', (message: { first: number | null }) => {
      answered = true;
      resolve(message.first);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the column check worker exited with ${code}`));
    });
  });
}

/** Reads the leaf hashes of the page's tiles (for roots of sizes inside the page). */
function pageTiles(leaves: Buffer, start: number, tileSize: number): TileReader {
  return (tile) => {
    const first = tile * tileSize - start;
    if (first < 0 || (first + tileSize) * HASH_SIZE > leaves.length) return undefined;
    return Array.from({ length: tileSize }, (_, i) =>
      leaves.subarray((first + i) * HASH_SIZE, (first + i + 1) * HASH_SIZE),
    );
  };
}

/** The first stored tile hash from `from` on that differs from the recomputed one, if any. */
async function checkTiles(
  db: Db,
  tenantId: string,
  tree: CompactTree,
  from: number,
): Promise<number | undefined> {
  const source = tree.source();
  const rows = await db
    .selectFrom('ledger_node')
    .select(['idx', 'hash'])
    .where('tenant_id', '=', tenantId)
    .where('level', '=', TILE_LEVEL)
    .where('idx', '>=', from)
    .orderBy('idx')
    .execute();
  for (let i = from; i < tree.baseNodeCount; i++) {
    const row = rows[i - from];
    if (!row || Number(row.idx) !== i || !bytesEqual(row.hash, source.perfect(TILE_LEVEL, i))) return i;
  }
  return rows.length > tree.baseNodeCount - from ? tree.baseNodeCount : undefined;
}
