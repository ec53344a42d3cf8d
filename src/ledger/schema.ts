/** The ledger's tables, as Kysely sees them, and the migrations that create them. */
import { sql, type Kysely } from 'kysely';
import type { ColumnTypes, Migration } from '../store/index.js';

export interface LedgerTables {
  /** One row per log entry: the canonical bytes, their leaf hash, and columns to find it by. */
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
  /** Patients, resources and datasets an entry concerns (`patient:<token>`, `dataset:<id>`…). */
  ledger_subject: { tenant_id: string; subject: string; idx: number };
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
