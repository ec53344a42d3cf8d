import type { Migration } from '../store/index.js';

export const catalogMigrations: readonly Migration[] = [
  {
    name: '20261123_0400_catalog_init',
    up: async (db, { types }) => {
      await db.schema
        .createTable('catalog_asset')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('natural_key', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('volume_count', types.bigint, (c) => c.notNull())
        .addColumn('volume_unit', 'text', (c) => c.notNull())
        .addColumn('update_frequency', 'text', (c) => c.notNull())
        .addColumn('responsible_person', 'text', (c) => c.notNull())
        .addColumn('sensitivity_scheme', 'text')
        .addColumn('sensitivity_grade', 'text')
        .addColumn('fields', types.json, (c) => c.notNull())
        .addColumn('grade_counts', types.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_asset_pk', ['tenant_id', 'id'])
        .execute();
      // Self-registering assets (the clinical store's collections) are found by their natural key.
      await db.schema
        .createIndex('catalog_asset_natural_key')
        .on('catalog_asset')
        .columns(['tenant_id', 'natural_key'])
        .unique()
        .execute();
      await db.schema
        .createTable('catalog_asset_version')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('asset_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('changed_at', types.bigint, (c) => c.notNull())
        .addColumn('changed_by', 'text', (c) => c.notNull())
        .addColumn('changes', types.json, (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_asset_version_pk', ['tenant_id', 'asset_id', 'version'])
        .execute();
      await db.schema
        .createTable('catalog_lineage')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('from_asset_id', 'text', (c) => c.notNull())
        .addColumn('to_asset_id', 'text', (c) => c.notNull())
        .addColumn('activity', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_lineage_pk', ['tenant_id', 'from_asset_id', 'to_asset_id'])
        .execute();
      await db.schema
        .createIndex('catalog_lineage_to')
        .on('catalog_lineage')
        .columns(['tenant_id', 'to_asset_id'])
        .execute();
      await db.schema
        .createTable('catalog_field_decision')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('asset_id', 'text', (c) => c.notNull())
        .addColumn('field_name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('proposed', types.json, (c) => c.notNull())
        .addColumn('decided', types.json, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('decided_by', 'text', (c) => c.notNull())
        .addColumn('decided_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('catalog_field_decision_pk', ['tenant_id', 'id'])
        .execute();
      await db.schema
        .createIndex('catalog_field_decision_asset')
        .on('catalog_field_decision')
        .columns(['tenant_id', 'asset_id'])
        .execute();
      await db.schema
        .createTable('catalog_tenant_scheme')
        .addColumn('tenant_id', 'text', (c) => c.primaryKey())
        .addColumn('scheme_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .execute();
    },
  },
];
