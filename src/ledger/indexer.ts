/**
 * The query indexes, kept off the durable append. A group commit writes only what the log needs
 * (ledger_leaf rows and completed tile hashes); the rows that find entries by subject, actor,
 * action and time are derived from ledger_leaf afterwards, in transactions of their own that do
 * not wait for the disk, each recording how far it got (the watermark, ledger_index_state) with
 * its rows. A crash loses at most the last of them: the next open goes on from the stored
 * watermark, since ledger_leaf holds everything the rows are made of. Queries read the index
 * below the watermark and the entries above it directly (query.ts), so an entry is found the
 * moment its append resolves.
 *
 * The database derives the rows itself, from ledger_leaf's columns (actor, action, time blocks)
 * and from the entry JSON (the `patient:` subjects, and the `resource:` subjects of writes:
 * tokens and references are plain ASCII, which JSON writes as it is, so json_each reads back
 * exactly the strings `subjectsOf` makes), on the SQLite writer thread rather than this one. Only dataset events
 * (whose dataset ids are any text) get their subject rows from `subjectsOf`: kept from the
 * append while not yet indexed, or decoded from the stored entries (a tail left by a crash). If
 * the database cannot read an entry's JSON (the entry was changed in the store: verify reports
 * it), the range is done here instead, decoding every entry. Every write is idempotent, so a
 * second process indexing the same log at once adds nothing twice.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Dialect, Store } from '../store/index.js';
import { subjectsOf, type AuditEntry } from './entry.js';
import { TIME_BLOCK, type LedgerTables } from './schema.js';
import type { SqliteWriter, Statement } from './sqlite-writer.js';

export interface IndexCadence {
  /** Index once this many committed entries are waiting (default 4096). */
  everyEntries?: number;
  /**
   * …and every this many milliseconds while any are (default 250). 0 turns the timer off: then
   * only the count, `update()` and `close()` index (tests use it to leave a tail unindexed).
   */
  everyMs?: number;
}

/** Entries indexed in one transaction at most. */
const MAX_STEP = 16_384;
/** Subject rows kept for entries not yet indexed, at most (beyond, they are decoded later instead). */
const MAX_CACHED = 65_536;

export const SUBJECT_COLUMNS = ['tenant_id', 'subject', 'idx'] as const;

/** What the indexer needs of its ledger. */
export interface IndexSource {
  /** Entries durably committed so far. */
  size(): number;
  /** The SQLite writer thread, if there is one (its transactions are ordered after the appends). */
  writer(): SqliteWriter | undefined;
}

interface Cached {
  first: number;
  end: number;
  /** The ledger_subject rows of its dataset events, flat. */
  subjects: readonly unknown[];
}

type Db = Kysely<LedgerTables>;

/** The stored watermark of a tenant's log: entries below it are in the index tables. */
export async function storedWatermark(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_index_state')
    .select('indexed')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.indexed) : 0;
}

export class LedgerIndexer {
  private readonly db: Db;
  private readonly everyEntries: number;
  private cache: Cached[] = [];
  private cached = 0;
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  private constructor(
    private readonly store: Store,
    private readonly tenantId: string,
    private readonly source: IndexSource,
    /** Entries known to be indexed (stored watermark, as this process last wrote or read it). */
    private indexedSize: number,
    cadence: IndexCadence,
  ) {
    this.db = store.tables<LedgerTables>();
    this.everyEntries = Math.max(1, cadence.everyEntries ?? 4096);
    const everyMs = cadence.everyMs ?? 250;
    if (everyMs > 0) {
      this.timer = setInterval(() => {
        if (this.source.size() > this.indexedSize) this.start();
      }, everyMs);
      this.timer.unref();
    }
  }

  /**
   * The indexer of a log of `size` entries. A watermark beyond the log (entries removed from its
   * end: a restored backup, tampering) is taken back, with the rows above it, to the start of the
   * block holding the last entry, so that entries appended again there are indexed anew.
   */
  static async open(
    store: Store,
    tenantId: string,
    source: IndexSource,
    cadence: IndexCadence = {},
  ): Promise<LedgerIndexer> {
    const db = store.tables<LedgerTables>();
    const size = source.size();
    let indexed = await storedWatermark(db, tenantId);
    if (indexed > size) {
      indexed = Math.floor(size / TIME_BLOCK) * TIME_BLOCK;
      await resetIndex(db, tenantId, indexed);
    }
    return new LedgerIndexer(store, tenantId, source, indexed, cadence);
  }

  /** Entries this process knows to be indexed. */
  get indexed(): number {
    return this.indexedSize;
  }

  /** A batch of entries is durable: keeps the subject rows of its dataset events for the next round. */
  committed(first: number, count: number, subjects: readonly unknown[]): void {
    if (this.closed) return;
    const last = this.cache[this.cache.length - 1];
    // Not contiguous (a batch seen to fail that did commit, a round from the store meanwhile),
    // or too much waiting: the rounds decode what the cache does not hold.
    if ((last ? last.end !== first : first < this.indexedSize) || this.cached + count > MAX_CACHED) {
      this.cache = [];
      this.cached = 0;
    }
    if (first >= this.indexedSize) {
      this.cache.push({ first, end: first + count, subjects });
      this.cached += count;
    }
    if (this.source.size() - this.indexedSize >= this.everyEntries) this.start();
  }

  /** Indexes every entry committed so far; resolves with the watermark. */
  async update(): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    await this.round();
    return this.indexedSize;
  }

  /** Stops the timer after a last round (entries appended after it are indexed by the next open). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.update().catch(() => undefined);
    this.closed = true;
    this.cache = [];
  }

  /** Starts a round in the background unless one is running; a failed one is retried by the next. */
  private start(): void {
    if (!this.running && !this.closed) this.round().catch(() => undefined);
  }

  /**
   * A round: the entries committed when it starts (chasing the ones committed meanwhile would
   * make a transaction of every few batches while appends go on), in steps. One at a time.
   */
  private round(): Promise<void> {
    const target = this.source.size();
    const round = (async () => {
      while (await this.step(target));
    })();
    this.running = round;
    round
      .finally(() => {
        if (this.running === round) this.running = undefined;
      })
      .catch(() => undefined);
    return round;
  }

  /** One transaction: the next entries above the watermark, up to `target`. False if none. */
  private async step(target: number): Promise<boolean> {
    const from = this.indexedSize;
    let to = Math.min(target, from + MAX_STEP);
    if (to <= from) return false;
    this.dropCached(from);
    let subjects: readonly unknown[] | undefined;
    const head = this.cache[0];
    if (head && head.first === from) {
      let n = 0;
      let end = from;
      while (n < this.cache.length && this.cache[n]!.first === end && this.cache[n]!.end <= to)
        end = this.cache[n++]!.end;
      if (n > 0) {
        to = end;
        subjects = n === 1 ? head.subjects : this.cache.slice(0, n).flatMap((c) => c.subjects);
      }
    } else if (head && head.first > from) to = Math.min(to, head.first);
    else if (head) {
      // Overlapping the watermark: not from this process's appends in order; start afresh.
      this.cache = [];
      this.cached = 0;
    }
    await this.index(from, to, subjects ?? (await this.decodeSubjects(from, to, true)));
    this.indexedSize = Math.max(this.indexedSize, to);
    this.dropCached(this.indexedSize);
    return true;
  }

  /**
   * Writes the rows of entries [from, to), with `subjects` those of its dataset events. If the
   * database cannot read an entry as JSON (or the writer thread is gone), decodes every subject
   * here instead, with entries that are not JSON found by none.
   */
  private async index(from: number, to: number, subjects: readonly unknown[]): Promise<void> {
    try {
      await this.write(from, to, subjects, true);
    } catch (error) {
      try {
        await this.write(from, to, await this.decodeSubjects(from, to, false), false);
      } catch {
        throw error;
      }
    }
  }

  /**
   * Derives the rows of every indexed entry again, adding any that are missing: the repair for
   * index tables that lost rows or had a time block narrowed (below the watermark, queries trust
   * the index to name every entry). Safe beside a running server: every insert skips rows that
   * are there, time blocks only widen, and the watermark never moves back. Resolves with the
   * number of entries covered.
   */
  async rebuild(onProgress?: (done: number, total: number) => void): Promise<number> {
    const end = await this.update();
    for (let from = 0; from < end; from += MAX_STEP) {
      const to = Math.min(end, from + MAX_STEP);
      await this.index(from, to, await this.decodeSubjects(from, to, true));
      onProgress?.(to, end);
    }
    return end;
  }

  /** Forgets the cached batches that end at or below `size`. */
  private dropCached(size: number): void {
    while (this.cache.length > 0 && this.cache[0]!.end <= size) {
      const c = this.cache.shift()!;
      this.cached -= c.end - c.first;
    }
  }

  /** The subject rows of stored entries [from, to) (of dataset events only), from their bytes. */
  private async decodeSubjects(from: number, to: number, datasetEvents: boolean): Promise<unknown[]> {
    let query = this.db
      .selectFrom('ledger_leaf')
      .select(['idx', 'entry'])
      .where('tenant_id', '=', this.tenantId)
      .where('idx', '>=', from)
      .where('idx', '<', to);
    if (datasetEvents) query = query.where('kind', '=', 'dataset-event');
    const rows = await query.orderBy('idx').execute();
    const subjects: unknown[] = [];
    for (const row of rows) {
      let entry: AuditEntry;
      try {
        entry = JSON.parse(Buffer.from(row.entry).toString('utf8')) as AuditEntry;
        // An entry that is not one (changed in the store: verify reports it) is found by nothing.
        for (const subject of subjectsOf(entry)) subjects.push(this.tenantId, subject, Number(row.idx));
      } catch {
        continue;
      }
    }
    return subjects;
  }

  /**
   * One transaction with the rows of entries [from, to) and the watermark `to`: `subjects` given,
   * and with `derive` the other subjects read from the entries by the database.
   */
  private async write(
    from: number,
    to: number,
    subjects: readonly unknown[],
    derive: boolean,
  ): Promise<void> {
    const dialect = this.store.dialect;
    const statements = indexStatements(dialect, this.tenantId, from, to, derive);
    const writer = this.source.writer();
    if (writer)
      return writer.write({
        inserts: [
          { table: 'ledger_subject', columns: SUBJECT_COLUMNS, values: subjects, ignoreDuplicates: true },
        ],
        statements,
        durable: false,
      });
    await this.db.transaction().execute(async (trx) => {
      // PostgreSQL: the commit does not wait for the WAL flush (the next durable one takes it).
      // SQLite without the writer thread shares this connection with the rest of the system:
      // its setting stays as it is.
      if (dialect === 'postgres')
        await trx.executeQuery(CompiledQuery.raw('set local synchronous_commit = off'));
      for (const s of subjectInserts(dialect, subjects))
        await trx.executeQuery(CompiledQuery.raw(s.sql, [...s.params]));
      for (const s of statements) await trx.executeQuery(CompiledQuery.raw(s.sql, [...s.params]));
    });
  }
}

/**
 * The statements that derive the actor, action and time-block rows of entries [from, to) from
 * ledger_leaf (with `subjects`, the subject rows of entries other than dataset events too) and
 * move the watermark to `to` (never back).
 */
function indexStatements(
  dialect: Dialect,
  tenantId: string,
  from: number,
  to: number,
  subjects: boolean,
): Statement[] {
  const pg = dialect === 'postgres';
  /** Entries [from, to) of the tenant, in the table aliased `l`. */
  const range = (l: string) =>
    pg
      ? `${l}.tenant_id = $1 and ${l}.idx >= $2 and ${l}.idx < $3`
      : `${l}.tenant_id = ? and ${l}.idx >= ? and ${l}.idx < ?`;
  const params = [tenantId, from, to];
  const copy = (table: string, column: string): Statement => ({
    sql: `insert ${pg ? '' : 'or ignore '}into ${table} (tenant_id, ${column}, idx)
      select tenant_id, ${column}, idx from ledger_leaf l where ${range('l')}${pg ? ' on conflict do nothing' : ''}`,
    params,
  });
  const [least, greatest] = pg ? ['least', 'greatest'] : ['min', 'max'];
  // Entries that are not JSON are left out (SQLite; PostgreSQL fails the statement, and the
  // indexer does the range itself).
  const derived: Statement = {
    sql: pg
      ? `insert into ledger_subject (tenant_id, subject, idx)
        select l.tenant_id, p.prefix || j.value, l.idx
        from ledger_leaf l
        cross join lateral (select convert_from(l.entry, 'UTF8')::json as doc) d
        cross join (values ('patient:', 'targets', null), ('resource:', 'resources', 'write'))
          p (prefix, field, kind)
        cross join lateral json_array_elements_text(d.doc -> p.field) j (value)
        where ${range('l')} and l.kind <> 'dataset-event' and (p.kind is null or l.kind = p.kind)
        on conflict do nothing`
      : `insert or ignore into ledger_subject (tenant_id, subject, idx)
        select l.tenant_id, p.prefix || j.value, l.idx
        from ledger_leaf l
        join (select 'patient:' as prefix, '$.targets' as path, null as kind
          union all select 'resource:', '$.resources', 'write') p
        join json_each(cast(l.entry as text), p.path) j
        where ${range('l')} and l.kind <> 'dataset-event' and (p.kind is null or l.kind = p.kind)
          and json_valid(cast(l.entry as text))`,
    params,
  };
  return [
    ...(subjects ? [derived] : []),
    copy('ledger_actor', 'actor'),
    copy('ledger_action', 'action'),
    {
      sql: `insert into ledger_time_block (tenant_id, block, min_time, max_time)
        select tenant_id, idx / ${TIME_BLOCK}, min(time), max(time) from ledger_leaf l where ${range('l')}
        group by tenant_id, idx / ${TIME_BLOCK}
        on conflict (tenant_id, block) do update set
          min_time = ${least}(ledger_time_block.min_time, excluded.min_time),
          max_time = ${greatest}(ledger_time_block.max_time, excluded.max_time)`,
      params,
    },
    {
      sql: `insert into ledger_index_state (tenant_id, indexed) values (${pg ? '$1, $2' : '?, ?'})
        on conflict (tenant_id) do update set indexed = excluded.indexed
        where ledger_index_state.indexed < excluded.indexed`,
      params: [tenantId, to],
    },
  ];
}

/** Subject rows as multi-row inserts that skip rows already there. */
function subjectInserts(dialect: Dialect, values: readonly unknown[]): Statement[] {
  const out: Statement[] = [];
  const width = SUBJECT_COLUMNS.length;
  const perStatement = 1000 * width;
  for (let at = 0; at < values.length; at += perStatement) {
    const chunk = values.slice(at, at + perStatement);
    let n = 0;
    const row = () => (dialect === 'postgres' ? `($${++n}, $${++n}, $${++n})` : '(?, ?, ?)');
    const rows = Array.from({ length: chunk.length / width }, row).join(', ');
    out.push({
      sql:
        dialect === 'postgres'
          ? `insert into ledger_subject (tenant_id, subject, idx) values ${rows} on conflict do nothing`
          : `insert or ignore into ledger_subject (tenant_id, subject, idx) values ${rows}`,
      params: chunk,
    });
  }
  return out;
}

/** Takes the watermark back to `to`, removing the derived rows of entries from there on. */
async function resetIndex(db: Db, tenantId: string, to: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const table of ['ledger_subject', 'ledger_actor', 'ledger_action'] as const)
      await trx.deleteFrom(table).where('tenant_id', '=', tenantId).where('idx', '>=', to).execute();
    await trx
      .deleteFrom('ledger_time_block')
      .where('tenant_id', '=', tenantId)
      .where('block', '>=', Math.floor(to / TIME_BLOCK))
      .execute();
    await trx
      .updateTable('ledger_index_state')
      .set({ indexed: to })
      .where('tenant_id', '=', tenantId)
      .execute();
  });
}
