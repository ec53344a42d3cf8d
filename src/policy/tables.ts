import type { Migration } from '../store/index.js';

/**
 * The policy module's tables. Policy versions are tenant-wide; break-glass grants carry the
 * patient key (patient-scoped, shardable); emergencies are tenant-wide declarations. JSON columns
 * hold text on SQLite and jsonb on PostgreSQL.
 */
export interface PolicyTables {
  policy_version: {
    tenant_id: string;
    version: number;
    /** proposed | active | superseded */
    status: string;
    files: unknown;
    digest: string;
    note: string;
    proposed_at: number;
    proposed_by: string;
    activated_at: number | null;
    activated_by: string | null;
  };
  /** Every change in order: what `history` shows and what the ledger was asked to record. */
  policy_change: {
    tenant_id: string;
    seq: number;
    version: number;
    /** propose | activate */
    action: string;
    at: number;
    by: string;
    digest: string;
  };
  policy_break_glass: {
    tenant_id: string;
    id: string;
    patient_key: string;
    user_id: string;
    org_id: string;
    reason: string;
    declared_at: number;
    expires_at: number;
    /** null until a privacy officer reviewed it. */
    reviewed_at: number | null;
    reviewed_by: string | null;
    /** justified | unjustified */
    review_outcome: string | null;
    review_note: string | null;
  };
  policy_emergency: {
    tenant_id: string;
    id: string;
    declared_by: string;
    org_id: string;
    reason: string;
    purposes: unknown;
    categories: unknown;
    regions: unknown;
    starts_at: number;
    ends_at: number;
    ended_at: number | null;
    ended_by: string | null;
  };
}

export const policyMigrations: readonly Migration[] = [
  {
    name: '20261123_1100_policy_init',
    up: async (db, { types }) => {
      await db.schema
        .createTable('policy_version')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('files', types.json, (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('proposed_at', types.bigint, (c) => c.notNull())
        .addColumn('proposed_by', 'text', (c) => c.notNull())
        .addColumn('activated_at', types.bigint)
        .addColumn('activated_by', 'text')
        .addPrimaryKeyConstraint('policy_version_pk', ['tenant_id', 'version'])
        .execute();
      await db.schema
        .createTable('policy_change')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('at', types.bigint, (c) => c.notNull())
        .addColumn('by', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('policy_change_pk', ['tenant_id', 'seq'])
        .execute();
      await db.schema
        .createTable('policy_break_glass')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('declared_at', types.bigint, (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('reviewed_at', types.bigint)
        .addColumn('reviewed_by', 'text')
        .addColumn('review_outcome', 'text')
        .addColumn('review_note', 'text')
        .addPrimaryKeyConstraint('policy_break_glass_pk', ['tenant_id', 'id'])
        .execute();
      // The hot question: this user's grants for this patient.
      await db.schema
        .createIndex('policy_break_glass_user_patient')
        .on('policy_break_glass')
        .columns(['tenant_id', 'user_id', 'patient_key', 'expires_at'])
        .execute();
      // The privacy officer's queue.
      await db.schema
        .createIndex('policy_break_glass_unreviewed')
        .on('policy_break_glass')
        .columns(['tenant_id', 'reviewed_at', 'declared_at'])
        .execute();
      await db.schema
        .createTable('policy_emergency')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('declared_by', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('purposes', types.json, (c) => c.notNull())
        .addColumn('categories', types.json, (c) => c.notNull())
        .addColumn('regions', types.json, (c) => c.notNull())
        .addColumn('starts_at', types.bigint, (c) => c.notNull())
        .addColumn('ends_at', types.bigint, (c) => c.notNull())
        .addColumn('ended_at', types.bigint)
        .addColumn('ended_by', 'text')
        .addPrimaryKeyConstraint('policy_emergency_pk', ['tenant_id', 'id'])
        .execute();
    },
  },
];

/** SQLite hands JSON back as text, PostgreSQL's jsonb as a parsed value. */
export const fromJson = <T>(value: unknown): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
export const toJson = (value: unknown): string => JSON.stringify(value);
