import type { Selectable } from 'kysely';
import type { Asset, AssetKind, FieldSpec, UpdateFrequency } from './model.js';
import type { CatalogTables } from './tables.js';

/** SQLite hands JSON back as text, PostgreSQL's jsonb as a parsed value. */
export const fromJson = <T>(value: unknown): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
export const toJson = (value: unknown): string => JSON.stringify(value);

export function assetFromRow(r: Selectable<CatalogTables['catalog_asset']>): Asset {
  return {
    id: r.id,
    tenant: r.tenant_id,
    kind: r.kind as AssetKind,
    naturalKey: r.natural_key,
    name: r.name,
    description: r.description,
    source: r.source,
    purpose: r.purpose,
    storageLocation: r.storage_location,
    volume: { count: Number(r.volume_count), unit: r.volume_unit },
    updateFrequency: r.update_frequency as UpdateFrequency,
    responsiblePerson: r.responsible_person,
    sensitivity:
      r.sensitivity_scheme && r.sensitivity_grade
        ? { scheme: r.sensitivity_scheme, grade: r.sensitivity_grade }
        : null,
    fields: fromJson<FieldSpec[]>(r.fields),
    gradeCounts: fromJson<Record<string, number>>(r.grade_counts),
    status: r.status as Asset['status'],
    version: Number(r.version),
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by,
  };
}

/** The dimensions compared for the change history. */
export const TRACKED: readonly (keyof Asset)[] = [
  'name',
  'description',
  'source',
  'purpose',
  'storageLocation',
  'volume',
  'updateFrequency',
  'responsiblePerson',
  'sensitivity',
  'fields',
  'gradeCounts',
  'status',
];

export function diff(before: Asset, after: Asset): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of TRACKED) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
