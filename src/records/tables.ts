import type { Migration } from '../store/index.js';

/** How a version came to be, as FHIR history reports it. */
export type VersionMethod = 'POST' | 'PUT' | 'DELETE';

/** What every stored or prepared version says about itself, in the clear. */
export interface VersionFacts {
  resourceType: string;
  id: string;
  version: number;
  /** The organization that wrote it: the owner whose staff the default guard lets read it. */
  orgId: string;
  /** Whose data key seals it (the Patient's id, or `org:<id>` for resources about nobody). */
  patientKey: string;
  lastUpdated: number;
  method: VersionMethod;
}

/**
 * The clinical store's tables. Bodies are sealed (AES-256-GCM under the patient's data key);
 * nothing that identifies a person is stored in the clear: identifiers, names and phone numbers
 * appear only as keyed blind indexes in `rec_search.value`.
 */
export interface RecordsTables {
  /** The current version of every resource (a deleted one keeps its row, without a body). */
  rec_resource: {
    tenant_id: string;
    resource_type: string;
    id: string;
    version: number;
    /** The organization that wrote it: the owner whose staff the default guard lets read it. */
    org_id: string;
    /** Whose data key seals it (the Patient's id, or `org:<id>` for resources about nobody); the shard key. */
    patient_key: string;
    last_updated: number;
    method: VersionMethod;
    /** The resource's clinical date (its `date` search value), for `_sort=date`. */
    sort_date: number | null;
    /** Its grade in the tenant's grading scheme (e.g. `seed-3-grade:2`). */
    grade: string;
    /** The id the sender gave it (urn:uuid or id): re-imports match on it and create nothing new. */
    source_id: string | null;
    body: Uint8Array | null;
  };
  /** Superseded versions, for vread and `_history`. */
  rec_version: {
    tenant_id: string;
    resource_type: string;
    id: string;
    version: number;
    patient_key: string;
    last_updated: number;
    method: VersionMethod;
    body: Uint8Array | null;
  };
  /** Search index of current versions: one row per (parameter, value). */
  rec_search: {
    tenant_id: string;
    resource_type: string;
    resource_id: string;
    param: string;
    /** Token system, identifier system or reference type; '' when none. */
    system: string;
    /** Token code, reference id, or the blind index of an identifier, name or phone. */
    value: string;
    /** Date ranges as epoch ms [low, high). */
    low: number | null;
    high: number | null;
  };
  /** The cross-institution patient index (统一调阅编码): lookup code → Patient records. */
  rec_patient_link: {
    tenant_id: string;
    lookup_code: string;
    patient_id: string;
    org_id: string;
    linked_at: number;
  };
}

/**
 * The columns of `rec_version` after the tenant: what changes between versions (owner and grade
 * are the resource's). Archiving copies exactly these from `rec_resource`.
 */
export const VERSION_COLUMNS = [
  'resource_type',
  'id',
  'version',
  'patient_key',
  'last_updated',
  'method',
  'body',
] as const;

/** The columns of `rec_resource` a read needs: everything but the search helpers. */
export const CURRENT_COLUMNS = [
  'resource_type',
  'id',
  'version',
  'org_id',
  'patient_key',
  'last_updated',
  'method',
  'grade',
  'body',
] as const;

/** A `rec_resource` row read with CURRENT_COLUMNS. */
export type CurrentRow = Pick<RecordsTables['rec_resource'], (typeof CURRENT_COLUMNS)[number]>;

/** The columns of a `rec_search` row, in the order bulk inserts give them. */
export const SEARCH_COLUMNS = [
  'tenant_id',
  'resource_type',
  'resource_id',
  'param',
  'system',
  'value',
  'low',
  'high',
] as const;

export const recordsMigrations: Migration[] = [
  {
    name: '20261123_0600_records_init',
    up: async (db, { types }) => {
      await db.schema
        .createTable('rec_resource')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('last_updated', types.bigint, (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('sort_date', types.bigint)
        .addColumn('grade', 'text', (c) => c.notNull())
        .addColumn('source_id', 'text')
        .addColumn('body', types.bytes)
        .addPrimaryKeyConstraint('rec_resource_pk', ['tenant_id', 'resource_type', 'id'])
        .execute();
      await db.schema
        .createIndex('rec_resource_source')
        .on('rec_resource')
        .columns(['tenant_id', 'org_id', 'resource_type', 'source_id'])
        .unique()
        .execute();
      // $everything and erasure walk a patient's resources.
      await db.schema
        .createIndex('rec_resource_patient')
        .on('rec_resource')
        .columns(['tenant_id', 'patient_key'])
        .execute();
      await db.schema
        .createIndex('rec_resource_updated')
        .on('rec_resource')
        .columns(['tenant_id', 'resource_type', 'last_updated'])
        .execute();

      await db.schema
        .createTable('rec_version')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('patient_key', 'text', (c) => c.notNull())
        .addColumn('last_updated', types.bigint, (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('body', types.bytes)
        .addPrimaryKeyConstraint('rec_version_pk', ['tenant_id', 'resource_type', 'id', 'version'])
        .execute();

      await db.schema
        .createTable('rec_search')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.notNull())
        .addColumn('param', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('low', types.bigint)
        .addColumn('high', types.bigint)
        .execute();
      await db.schema
        .createIndex('rec_search_value')
        .on('rec_search')
        .columns(['tenant_id', 'resource_type', 'param', 'value', 'system'])
        .execute();
      await db.schema
        .createIndex('rec_search_date')
        .on('rec_search')
        .columns(['tenant_id', 'resource_type', 'param', 'low', 'high'])
        .execute();
      await db.schema
        .createIndex('rec_search_resource')
        .on('rec_search')
        .columns(['tenant_id', 'resource_type', 'resource_id'])
        .execute();

      await db.schema
        .createTable('rec_patient_link')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('lookup_code', 'text', (c) => c.notNull())
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('linked_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('rec_patient_link_pk', ['tenant_id', 'lookup_code', 'patient_id'])
        .execute();
      await db.schema
        .createIndex('rec_patient_link_patient')
        .on('rec_patient_link')
        .columns(['tenant_id', 'patient_id'])
        .execute();
    },
  },
];
