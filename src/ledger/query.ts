/**
 * Finding entries by subject, actor, action, kind and time, oldest first, paged by index. The
 * index tables (indexer.ts) cover the entries below the stored watermark; the few above it,
 * appended since the indexer last ran, are read from ledger_leaf directly. Both parts return the
 * entries in index order, the indexed part all before the other, so a page is the first `limit`
 * of the one followed by the other: exactly what one query over a complete index would return.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from '../store/index.js';
import { decodeEntry, subjectsOf } from './entry.js';
import { storedWatermark } from './indexer.js';
import type { LedgerQuery, StoredEntry } from './ledger.js';
import { TIME_BLOCK, type LedgerTables } from './schema.js';

type Db = Kysely<LedgerTables>;

/** Time blocks read at once. */
const BLOCK_PAGE = 512;
/** Matching time blocks at most this many entries apart are scanned as one range. */
const JOIN_GAP = 16 * TIME_BLOCK;

/** The index table a query is driven by, and the value it looks up. */
interface Key {
  table: 'ledger_subject' | 'ledger_actor' | 'ledger_action';
  column: 'subject' | 'actor' | 'action';
  value: string;
}

interface LeafRow {
  idx: number;
  entry: Uint8Array;
  leaf_hash: Uint8Array;
}

export function toStored(row: LeafRow): StoredEntry {
  const bytes = new Uint8Array(row.entry);
  return {
    index: Number(row.idx),
    entry: decodeEntry(bytes),
    bytes,
    leafHash: new Uint8Array(row.leaf_hash),
  };
}

export async function queryLog(
  db: Db,
  dialect: Dialect,
  tenantId: string,
  q: LedgerQuery,
): Promise<{ entries: StoredEntry[]; next?: number }> {
  const limit = Math.min(1000, Math.max(1, q.limit ?? 100));
  const subject = q.subject ?? (q.patient === undefined ? undefined : `patient:${q.patient}`);
  const key: Key | undefined =
    subject !== undefined
      ? { table: 'ledger_subject', column: 'subject', value: subject }
      : q.actor !== undefined
        ? { table: 'ledger_actor', column: 'actor', value: q.actor }
        : q.action !== undefined
          ? { table: 'ledger_action', column: 'action', value: q.action }
          : undefined;
  const timed = q.from !== undefined || q.to !== undefined;
  const start = q.after === undefined ? 0 : Math.max(0, Math.floor(q.after) + 1);
  const want = limit + 1;
  const scan = new Scan(db, dialect, tenantId, q, subject, want);
  if (!key && !timed) {
    // Nothing indexed is asked for (at most a kind): the log in index order.
    await scan.range(undefined, start, Number.POSITIVE_INFINITY);
  } else {
    const watermark = await storedWatermark(db, tenantId);
    if (start < watermark) {
      if (!timed) await scan.range(key, start, watermark);
      else
        for await (const [lo, hi] of timeRanges(db, tenantId, start, watermark, q.from, q.to)) {
          await scan.range(key, lo, hi);
          if (scan.full) break;
        }
    }
    // The entries the indexer has not reached yet, found by their columns (and, for a subject,
    // their bytes).
    if (!scan.full && (subject === undefined || tailNeedle(subject)))
      await scan.range(undefined, Math.max(start, watermark), Number.POSITIVE_INFINITY);
  }
  const entries = scan.found.slice(0, limit);
  return scan.found.length > limit ? { entries, next: entries[entries.length - 1]!.index } : { entries };
}

/** Collects matching entries in index order until it has `want`. */
class Scan {
  readonly found: StoredEntry[] = [];

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly tenantId: string,
    private readonly q: LedgerQuery,
    private readonly subject: string | undefined,
    private readonly want: number,
  ) {}

  get full(): boolean {
    return this.found.length >= this.want;
  }

  /** Entries in [lo, hi) through an index table, or ledger_leaf alone. */
  async range(key: Key | undefined, lo: number, hi: number): Promise<void> {
    let cursor = lo;
    while (!this.full && cursor < hi) {
      const asked = this.want - this.found.length;
      const rows = await this.select(key, cursor, hi, asked);
      for (const row of rows) {
        cursor = Number(row.idx) + 1;
        const stored = toStored(row);
        // The subject is checked on the entry itself: in the tail the SQL only narrows the rows
        // down, and below the watermark a stray index row cannot add an entry that is not about it.
        if (this.subject === undefined || subjectsOf(stored.entry).includes(this.subject))
          this.found.push(stored);
      }
      if (rows.length < asked) return;
    }
  }

  private async select(key: Key | undefined, lo: number, hi: number, limit: number): Promise<LeafRow[]> {
    const q = this.q;
    const where: RawBuilder<unknown>[] = [];
    // The columns are checked on ledger_leaf (which verify holds to the entry bytes) even when an
    // index table found the row.
    if (q.actor !== undefined) where.push(sql`l.actor = ${q.actor}`);
    if (q.action !== undefined) where.push(sql`l.action = ${q.action}`);
    if (q.kind !== undefined) where.push(sql`l.kind = ${q.kind}`);
    if (q.from !== undefined) where.push(sql`l.time >= ${q.from}`);
    if (q.to !== undefined) where.push(sql`l.time < ${q.to}`);
    let query: RawBuilder<LeafRow>;
    if (key) {
      // The index table leads (CROSS JOIN fixes that order on SQLite; PostgreSQL plans it).
      query = sql<LeafRow>`select l.idx, l.entry, l.leaf_hash
        from ${sql.table(key.table)} d cross join ledger_leaf l
        where d.tenant_id = ${this.tenantId} and d.${sql.ref(key.column)} = ${key.value}
          and d.idx >= ${lo} and d.idx < ${hi}
          and l.tenant_id = d.tenant_id and l.idx = d.idx
          ${extra(where)}
        order by d.idx limit ${limit}`;
    } else {
      const needle = this.subject === undefined ? undefined : tailNeedle(this.subject);
      if (needle)
        where.push(
          this.dialect === 'postgres'
            ? sql`position(cast(${needle} as bytea) in l.entry) > 0`
            : sql`instr(l.entry, ${needle}) > 0`,
        );
      if (Number.isFinite(hi)) where.push(sql`l.idx < ${hi}`);
      query = sql<LeafRow>`select l.idx, l.entry, l.leaf_hash from ledger_leaf l
        where l.tenant_id = ${this.tenantId} and l.idx >= ${lo} ${extra(where)}
        order by l.idx limit ${limit}`;
    }
    return (await query.execute(this.db)).rows;
  }
}

const extra = (conditions: RawBuilder<unknown>[]) =>
  conditions.length === 0 ? sql`` : sql`and ${sql.join(conditions, sql` and `)}`;

/**
 * Bytes every entry about `subject` contains: the value as its canonical JSON writes it (a
 * string in `targets`, `resources`, `dataset` or `derivedFrom`). Undefined for a subject no
 * entry can have.
 */
function tailNeedle(subject: string): Buffer | undefined {
  const colon = subject.indexOf(':');
  const prefix = subject.slice(0, colon);
  if (colon < 0 || !['patient', 'resource', 'dataset', 'source'].includes(prefix)) return undefined;
  return Buffer.from(JSON.stringify(subject.slice(colon + 1)), 'utf8');
}

/**
 * The index ranges within [lo, hi) whose blocks hold an entry of the window [from, to), in
 * order: time follows append order closely, so usually one. Blocks a few apart make one range
 * (scanning the entries between costs less than another query; the time columns are checked
 * anyway). Read a page of blocks at a time, as the scan asks for more.
 */
async function* timeRanges(
  db: Db,
  tenantId: string,
  lo: number,
  hi: number,
  from: number | undefined,
  to: number | undefined,
): AsyncGenerator<[number, number]> {
  let next = Math.floor(lo / TIME_BLOCK);
  const last = Math.floor((hi - 1) / TIME_BLOCK);
  let pending: [number, number] | undefined;
  for (;;) {
    let query = db
      .selectFrom('ledger_time_block')
      .select('block')
      .where('tenant_id', '=', tenantId)
      .where('block', '>=', next)
      .where('block', '<=', last);
    if (from !== undefined) query = query.where('max_time', '>=', from);
    if (to !== undefined) query = query.where('min_time', '<', to);
    const blocks = await query.orderBy('block').limit(BLOCK_PAGE).execute();
    for (const { block } of blocks) {
      const start = Math.max(lo, Number(block) * TIME_BLOCK);
      const end = Math.min(hi, (Number(block) + 1) * TIME_BLOCK);
      if (pending && start - pending[1] <= JOIN_GAP) pending[1] = end;
      else {
        if (pending) yield pending;
        pending = [start, end];
      }
    }
    if (blocks.length < BLOCK_PAGE) break;
    next = Number(blocks[blocks.length - 1]!.block) + 1;
  }
  if (pending) yield pending;
}
