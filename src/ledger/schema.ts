/** The ledger's tables, as Kysely sees them, and the migrations that create them. */
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { ColumnTypes, Migration } from '../store/index.js';

/**
 * Entries per row of `ledger_time_block`: the earliest and latest time of each run of this many
 * consecutive entries (a block-range index: time follows append order closely, not exactly).
 */
export const TIME_BLOCK = 256;

export interface LedgerTables {
  /**
   * One row per log entry: the canonical bytes, their leaf hash, and columns to find it by. With
   * `ledger_node`, all that a durable append writes; the tables after `ledger_subject` up to
   * `ledger_index_state` are derived from it off that path (see indexer.ts).
   */
  ledger_leaf: {
    tenant_id: string;
    idx: number;
    entry: Uint8Array;
    leaf_hash: Uint8Array;
    kind: string;
    actor: string;
    organization: string;
    action: string;
    time: number;
    request_id: string | null;
  };
  /**
   * Patients, resources and datasets an entry concerns (`patient:<token>`, `dataset:<id>`…).
   * Derived, like the three tables below: written by the indexer for entries below the watermark.
   */
  ledger_subject: { tenant_id: string; subject: string; idx: number };
  /** Entries by actor, in log order. */
  ledger_actor: { tenant_id: string; actor: string; idx: number };
  /** Entries by action, in log order. */
  ledger_action: { tenant_id: string; action: string; idx: number };
  /** Earliest and latest `time` of the indexed entries of block `block` (entries block·256 to block·256 + 255). */
  ledger_time_block: { tenant_id: string; block: number; min_time: number; max_time: number };
  /** The watermark: entries 0 to `indexed` − 1 are in the derived tables above. */
  ledger_index_state: { tenant_id: string; indexed: number };
  /** Complete subtree hashes at the tile level (16 leaves each): the tree's compact frontier. */
  ledger_node: { tenant_id: string; level: number; idx: number; hash: Uint8Array };
  /** Signed checkpoints the log issued, in C2SP tlog-checkpoint format. */
  ledger_checkpoint: {
    tenant_id: string;
    origin: string;
    size: number;
    root: Uint8Array;
    note: string;
    created_at: number;
  };
  /** Witness cosignatures collected for the log's checkpoints. */
  ledger_cosignature: {
    tenant_id: string;
    origin: string;
    size: number;
    witness: string;
    line: string;
    timestamp: number;
  };
  /** A witness's latest cosigned checkpoint per log it watches. */
  ledger_witness_state: {
    tenant_id: string;
    witness: string;
    origin: string;
    size: number;
    root: Uint8Array;
    note: string;
    updated_at: number;
  };
}

export const ledgerMigrations: Migration[] = [
  {
    name: '20261123_0700_ledger_log',
    up: async (db, { types }) => {
      await db.schema
        .createTable('ledger_leaf')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('idx', types.bigint, (c) => c.notNull())
        .addColumn('entry', types.bytes, (c) => c.notNull())
        .addColumn('leaf_hash', types.bytes, (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('organization', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('time', types.bigint, (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addPrimaryKeyConstraint('ledger_leaf_pk', ['tenant_id', 'idx'])
        .execute();
      await db.schema
        .createIndex('ledger_leaf_actor')
        .on('ledger_leaf')
        .columns(['tenant_id', 'actor', 'time'])
        .execute();
      await db.schema
        .createIndex('ledger_leaf_action')
        .on('ledger_leaf')
        .columns(['tenant_id', 'action', 'time'])
        .execute();
      await db.schema
        .createIndex('ledger_leaf_time')
        .on('ledger_leaf')
        .columns(['tenant_id', 'time'])
        .execute();
      await db.schema
        .createTable('ledger_subject')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('idx', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_subject_pk', ['tenant_id', 'subject', 'idx'])
        .execute();
      await db.schema
        .createTable('ledger_node')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', types.bigint, (c) => c.notNull())
        .addColumn('hash', types.bytes, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_node_pk', ['tenant_id', 'level', 'idx'])
        .execute();
      await db.schema
        .createTable('ledger_checkpoint')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('size', types.bigint, (c) => c.notNull())
        .addColumn('root', types.bytes, (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_checkpoint_pk', ['tenant_id', 'origin', 'size'])
        .execute();
      await db.schema
        .createTable('ledger_cosignature')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('size', types.bigint, (c) => c.notNull())
        .addColumn('witness', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .addColumn('timestamp', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_cosignature_pk', ['tenant_id', 'origin', 'size', 'witness'])
        .execute();
      await db.schema
        .createTable('ledger_witness_state')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('witness', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('size', types.bigint, (c) => c.notNull())
        .addColumn('root', types.bytes, (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_witness_state_pk', ['tenant_id', 'witness', 'origin'])
        .execute();
    },
  },
  {
    // SQLite: the entry and subject tables clustered on their primary keys (WITHOUT ROWID). A rowid
    // table keeps the rows in one b-tree and the key in another, so each append wrote both and
    // verification looked every row up twice; the subject key, inserted at random places, was
    // the largest share of the pages each group commit wrote. PostgreSQL stores heap + index
    // either way: nothing to do there.
    name: '20261123_0710_ledger_clustered',
    up: async (db, { dialect, types }) => {
      if (dialect !== 'sqlite') return;
      await rebuildLeafTable(db, types);
      await sql`alter table ledger_subject rename to ledger_subject_rowid`.execute(db);
      await db.schema
        .createTable('ledger_subject')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('idx', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_subject_pk', ['tenant_id', 'subject', 'idx'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await sql`insert into ledger_subject select tenant_id, subject, idx from ledger_subject_rowid`.execute(
        db,
      );
      await db.schema.dropTable('ledger_subject_rowid').execute();
    },
  },
  {
    // The query indexes leave the durable append: the three indexes on ledger_leaf (actor, action,
    // time) and the subject rows were half of what each group commit wrote. They become tables
    // the indexer fills after the commit, in transactions of their own, up to a watermark; queries
    // read the tables below it and the few entries above it directly. ledger_subject keeps its
    // rows (it was complete), less those subjectsOf no longer makes (a read's resources, written
    // before reads were found through their patients only); the others are filled here from
    // ledger_leaf, which holds every column they are built from.
    name: '20261123_0720_ledger_derived_index',
    up: async (db, { dialect, types }) => {
      await sql`delete from ledger_subject where substr(subject, 1, 9) = 'resource:' and not exists (
        select 1 from ledger_leaf l where l.tenant_id = ledger_subject.tenant_id
          and l.idx = ledger_subject.idx and l.kind = 'write')`.execute(db);
      const clustered = (t: CreateTableBuilder<string, never>) =>
        dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t;
      for (const [table, column] of [
        ['ledger_actor', 'actor'],
        ['ledger_action', 'action'],
      ] as const) {
        await clustered(
          db.schema
            .createTable(table)
            .addColumn('tenant_id', 'text', (c) => c.notNull())
            .addColumn(column, 'text', (c) => c.notNull())
            .addColumn('idx', types.bigint, (c) => c.notNull())
            .addPrimaryKeyConstraint(`${table}_pk`, ['tenant_id', column, 'idx']),
        ).execute();
        await sql`insert into ${sql.table(table)} (tenant_id, ${sql.ref(column)}, idx)
          select tenant_id, ${sql.ref(column)}, idx from ledger_leaf`.execute(db);
      }
      await clustered(
        db.schema
          .createTable('ledger_time_block')
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('block', types.bigint, (c) => c.notNull())
          .addColumn('min_time', types.bigint, (c) => c.notNull())
          .addColumn('max_time', types.bigint, (c) => c.notNull())
          .addPrimaryKeyConstraint('ledger_time_block_pk', ['tenant_id', 'block']),
      ).execute();
      await db.schema
        .createIndex('ledger_time_block_max')
        .on('ledger_time_block')
        .columns(['tenant_id', 'max_time'])
        .execute();
      await sql`insert into ledger_time_block (tenant_id, block, min_time, max_time)
        select tenant_id, idx / ${sql.lit(TIME_BLOCK)}, min(time), max(time) from ledger_leaf
        group by tenant_id, idx / ${sql.lit(TIME_BLOCK)}`.execute(db);
      await db.schema
        .createTable('ledger_index_state')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('indexed', types.bigint, (c) => c.notNull())
        .execute();
      await sql`insert into ledger_index_state (tenant_id, indexed)
        select tenant_id, max(idx) + 1 from ledger_leaf group by tenant_id`.execute(db);
      for (const index of ['ledger_leaf_actor', 'ledger_leaf_action', 'ledger_leaf_time'])
        await db.schema.dropIndex(index).execute();
    },
  },
];

async function rebuildLeafTable(db: Kysely<unknown>, types: ColumnTypes): Promise<void> {
  for (const index of ['ledger_leaf_actor', 'ledger_leaf_action', 'ledger_leaf_time'])
    await db.schema.dropIndex(index).execute();
  await sql`alter table ledger_leaf rename to ledger_leaf_rowid`.execute(db);
  await db.schema
    .createTable('ledger_leaf')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('idx', types.bigint, (c) => c.notNull())
    .addColumn('entry', types.bytes, (c) => c.notNull())
    .addColumn('leaf_hash', types.bytes, (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('organization', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('time', types.bigint, (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addPrimaryKeyConstraint('ledger_leaf_pk', ['tenant_id', 'idx'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await sql`insert into ledger_leaf select tenant_id, idx, entry, leaf_hash, kind, actor, organization,
    action, time, request_id from ledger_leaf_rowid`.execute(db);
  await db.schema.dropTable('ledger_leaf_rowid').execute();
  await db.schema
    .createIndex('ledger_leaf_actor')
    .on('ledger_leaf')
    .columns(['tenant_id', 'actor', 'time'])
    .execute();
  await db.schema
    .createIndex('ledger_leaf_action')
    .on('ledger_leaf')
    .columns(['tenant_id', 'action', 'time'])
    .execute();
  await db.schema.createIndex('ledger_leaf_time').on('ledger_leaf').columns(['tenant_id', 'time']).execute();
}
