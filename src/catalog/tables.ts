/** The catalog's tables as Kysely sees them. JSON columns hold text on SQLite and jsonb on PostgreSQL. */
export interface CatalogTables {
  catalog_asset: {
    tenant_id: string;
    id: string;
    kind: string;
    natural_key: string | null;
    name: string;
    description: string;
    source: string;
    purpose: string;
    storage_location: string;
    volume_count: number;
    volume_unit: string;
    update_frequency: string;
    responsible_person: string;
    sensitivity_scheme: string | null;
    sensitivity_grade: string | null;
    fields: unknown;
    grade_counts: unknown;
    status: string;
    version: number;
    created_at: number;
    created_by: string;
    updated_at: number;
    updated_by: string;
  };
  catalog_asset_version: {
    tenant_id: string;
    asset_id: string;
    version: number;
    action: string;
    changed_at: number;
    changed_by: string;
    changes: unknown;
  };
  catalog_lineage: {
    tenant_id: string;
    from_asset_id: string;
    to_asset_id: string;
    activity: string;
    created_at: number;
    created_by: string;
  };
  catalog_field_decision: {
    tenant_id: string;
    id: string;
    asset_id: string;
    field_name: string;
    action: string;
    proposed: unknown;
    decided: unknown;
    reason: string;
    decided_by: string;
    decided_at: number;
  };
  catalog_tenant_scheme: {
    tenant_id: string;
    scheme_id: string;
    updated_at: number;
    updated_by: string;
  };
}
