import type { TenantIndexer } from '../crypto/index.js';
import { extractIndexValues, type FhirRegistry, type FhirResource, type IndexValue } from '../fhir/index.js';

/** One row of `rec_search` without the columns every row of a resource shares. */
export interface SearchRow {
  param: string;
  system: string;
  value: string;
  low: number | null;
  high: number | null;
}

/** Served from `rec_resource` columns, so not repeated in the search index. */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

/**
 * The search rows of a resource. Identifiers, names and phone numbers become keyed blind indexes
 * (the same value gives the same index, so equality search works; without the tenant's key the
 * index says nothing). Codes, dates and references stay plain: they identify nobody.
 */
export function searchRows(
  resource: FhirResource,
  registry: FhirRegistry,
  indexer: TenantIndexer,
): { rows: SearchRow[]; sortDate: number | null } {
  const rows: SearchRow[] = [];
  const seen = new Set<string>();
  let sortDate: number | null = null;
  for (const v of extractIndexValues(resource, registry)) {
    if (COLUMN_PARAMS.has(v.param)) continue;
    const row = toRow(v, indexer);
    if (!row) continue;
    const key = `${row.param}\u0000${row.system}\u0000${row.value}\u0000${row.low}\u0000${row.high}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(row);
    if (v.kind === 'date' && (v.param === 'date' || v.param === 'birthdate') && sortDate === null)
      sortDate = v.low;
  }
  return { rows, sortDate };
}

/** The blind index of a value, or undefined when nothing searchable is left once normalized ("-"). */
export function blindIndexOf(
  indexer: TenantIndexer,
  kind: 'identifier' | 'name' | 'phone',
  value: string,
): string | undefined {
  try {
    return indexer.index(kind, value);
  } catch {
    return undefined;
  }
}

function toRow(v: IndexValue, indexer: TenantIndexer): SearchRow | undefined {
  const plain = { param: v.param, system: '', value: '', low: null, high: null };
  switch (v.kind) {
    case 'identifier':
    case 'name':
    case 'phone': {
      const value = blindIndexOf(indexer, v.kind, v.value);
      if (value === undefined) return undefined;
      return { ...plain, system: v.kind === 'identifier' ? (v.system ?? '') : '', value };
    }
    case 'token':
      return { ...plain, system: v.system ?? '', value: v.code };
    case 'reference':
      return { ...plain, system: v.type, value: v.id };
    case 'date':
      return { ...plain, low: v.low, high: v.high };
  }
}
