import type { Migration } from '../store/index.js';

/**
 * The consent module's tables. Every table carries the tenant, and every patient-scoped one the
 * patient key (the shard key). Nothing here identifies a person in the clear: rules name
 * categories, codes and organization ids; complaint texts are sealed with the patient's data key.
 */
export interface ConsentTables {
  /** One row per patient who ever changed their consent: the version in force. */
  consent_record: {
    tenant_id: string;
    patient_key: string;
    consent_id: string;
    version: number;
    updated_at: number;
  };
  /** Every rule ever made; a rule in force has no `removed_in`. */
  consent_rule: {
    tenant_id: string;
    patient_key: string;
    id: string;
    seq: number;
    effect: string;
    /** The rule's scope as JSON (categories, labels, grades, purposes, recipient, period). */
    scope: unknown;
    added_in: number;
    removed_in: number | null;
  };
  /** One row per version: what changed, who changed it, and the signed receipt. */
  consent_version: {
    tenant_id: string;
    patient_key: string;
    version: number;
    action: string;
    added: unknown;
    removed: unknown;
    rules_hash: string;
    rule_count: number;
    changed_at: number;
    changed_by: string;
    acted_as: string;
    receipt: string;
  };
  /** Who may manage a minor's consent, until the minor comes of age (`ends_at`). */
  consent_guardian: {
    tenant_id: string;
    patient_key: string;
    guardian_user_id: string;
    relationship: string;
    starts_at: number;
    ends_at: number;
    registered_by: string;
    registered_at: number;
    ended_at: number | null;
  };
  /** Derived data that included a patient (datasets, agreements, projects), flagged on revocation. */
  consent_inclusion: {
    tenant_id: string;
    patient_key: string;
    kind: string;
    derived_id: string;
    purpose: string;
    recipient_org: string;
    project: string | null;
    agreement: string | null;
    grades: unknown;
    labels: unknown;
    included_at: number;
    included_by: string;
    flagged_at: number | null;
    flag_version: number | null;
    flag_reason: string | null;
  };
  /** Patients' complaints about how their data was used; the text is sealed. */
  consent_complaint: {
    tenant_id: string;
    id: string;
    patient_key: string;
    org_id: string;
    filed_by: string;
    topic: string;
    ledger_index: number | null;
    body: Uint8Array;
    status: string;
    history: unknown;
    created_at: number;
    updated_at: number;
  };
}

export const consentMigrations: readonly Migration[] = [
  {
    name: '20261123_1000_consent_init',
    up: async (db, { types }) => {
      await db.schema
        .createTable('consent_record')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('consent_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_record_pk', ['tenant_id', 'patient_key'])
        .execute();
      await db.schema
        .createTable('consent_rule')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('effect', 'text', (c) => c.notNull())
        .addColumn('scope', types.json, (c) => c.notNull())
        .addColumn('added_in', 'integer', (c) => c.notNull())
        .addColumn('removed_in', 'integer')
        .addPrimaryKeyConstraint('consent_rule_pk', ['tenant_id', 'patient_key', 'id'])
        .execute();
      await db.schema
        .createIndex('consent_rule_seq')
        .on('consent_rule')
        .columns(['tenant_id', 'patient_key', 'seq'])
        .unique()
        .execute();
      await db.schema
        .createTable('consent_version')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('added', types.json, (c) => c.notNull())
        .addColumn('removed', types.json, (c) => c.notNull())
        .addColumn('rules_hash', 'text', (c) => c.notNull())
        .addColumn('rule_count', 'integer', (c) => c.notNull())
        .addColumn('changed_at', types.bigint, (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('acted_as', 'text', (c) => c.notNull())
        .addColumn('receipt', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_version_pk', ['tenant_id', 'patient_key', 'version'])
        .execute();
      await db.schema
        .createTable('consent_guardian')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('guardian_user_id', 'text', (c) => c.notNull())
        .addColumn('relationship', 'text', (c) => c.notNull())
        .addColumn('starts_at', types.bigint, (c) => c.notNull())
        .addColumn('ends_at', types.bigint, (c) => c.notNull())
        .addColumn('registered_by', 'text', (c) => c.notNull())
        .addColumn('registered_at', types.bigint, (c) => c.notNull())
        .addColumn('ended_at', types.bigint)
        .addPrimaryKeyConstraint('consent_guardian_pk', ['tenant_id', 'patient_key', 'guardian_user_id'])
        .execute();
      await db.schema
        .createIndex('consent_guardian_by_guardian')
        .on('consent_guardian')
        .columns(['tenant_id', 'guardian_user_id'])
        .execute();
      await db.schema
        .createTable('consent_inclusion')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('derived_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('recipient_org', 'text', (c) => c.notNull())
        .addColumn('project', 'text')
        .addColumn('agreement', 'text')
        .addColumn('grades', types.json, (c) => c.notNull())
        .addColumn('labels', types.json, (c) => c.notNull())
        .addColumn('included_at', types.bigint, (c) => c.notNull())
        .addColumn('included_by', 'text', (c) => c.notNull())
        .addColumn('flagged_at', types.bigint)
        .addColumn('flag_version', 'integer')
        .addColumn('flag_reason', 'text')
        .addPrimaryKeyConstraint('consent_inclusion_pk', ['tenant_id', 'kind', 'derived_id', 'patient_key'])
        .execute();
      await db.schema
        .createIndex('consent_inclusion_by_patient')
        .on('consent_inclusion')
        .columns(['tenant_id', 'patient_key'])
        .execute();
      await db.schema
        .createTable('consent_complaint')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('filed_by', 'text', (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('ledger_index', types.bigint)
        .addColumn('body', types.bytes, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('history', types.json, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('consent_complaint_pk', ['tenant_id', 'id'])
        .execute();
      await db.schema
        .createIndex('consent_complaint_by_patient')
        .on('consent_complaint')
        .columns(['tenant_id', 'patient_key'])
        .execute();
      await db.schema
        .createIndex('consent_complaint_by_org')
        .on('consent_complaint')
        .columns(['tenant_id', 'org_id', 'status'])
        .execute();
    },
  },
];
