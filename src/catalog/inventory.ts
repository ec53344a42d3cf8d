import { stringify } from 'csv-stringify/sync';
import { getGrade } from '../classify/index.js';
import type { Asset } from './model.js';

/** One line of the inventory (清查登记表): an asset's ledger dimensions, flattened. */
export interface InventoryRow {
  id: string;
  name: string;
  kind: string;
  source: string;
  purpose: string;
  storageLocation: string;
  volume: number;
  volumeUnit: string;
  updateFrequency: string;
  responsiblePerson: string;
  sensitivityScheme: string;
  sensitivityGrade: string;
  sensitivityName: string;
  fields: number;
  identifyingFields: number;
  unreviewedFields: number;
  status: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export interface Inventory {
  tenant: string;
  generatedAt: string;
  totals: {
    assets: number;
    byKind: Record<string, number>;
    byGrade: Record<string, number>;
    /** Fields whose discovery proposal no steward has confirmed or overridden yet. */
    unreviewedFields: number;
  };
  assets: InventoryRow[];
}

export function buildInventory(tenant: string, assets: readonly Asset[], now: number): Inventory {
  const rows = assets.map(toRow);
  const count = (key: (r: InventoryRow) => string) =>
    rows.reduce<Record<string, number>>((acc, r) => ((acc[key(r)] = (acc[key(r)] ?? 0) + 1), acc), {});
  return {
    tenant,
    generatedAt: new Date(now).toISOString(),
    totals: {
      assets: rows.length,
      byKind: count((r) => r.kind),
      byGrade: count((r) =>
        r.sensitivityGrade ? `${r.sensitivityScheme}:${r.sensitivityGrade}` : 'ungraded',
      ),
      unreviewedFields: rows.reduce((n, r) => n + r.unreviewedFields, 0),
    },
    assets: rows,
  };
}

function toRow(a: Asset): InventoryRow {
  let sensitivityName = '';
  if (a.sensitivity) {
    try {
      const g = getGrade(a.sensitivity.scheme, a.sensitivity.grade);
      sensitivityName = `${g.name.zh} / ${g.name.en}`;
    } catch {
      sensitivityName = `${a.sensitivity.scheme}:${a.sensitivity.grade} (scheme no longer loaded)`;
    }
  }
  return {
    id: a.id,
    name: a.name,
    kind: a.kind,
    source: a.source,
    purpose: a.purpose,
    storageLocation: a.storageLocation,
    volume: a.volume.count,
    volumeUnit: a.volume.unit,
    updateFrequency: a.updateFrequency,
    responsiblePerson: a.responsiblePerson,
    sensitivityScheme: a.sensitivity?.scheme ?? '',
    sensitivityGrade: a.sensitivity?.grade ?? '',
    sensitivityName,
    fields: a.fields.length,
    identifyingFields: a.fields.filter(
      (f) =>
        f.identifierType !== undefined &&
        f.identifierType !== 'none' &&
        f.identifierType !== 'diagnosis-code',
    ).length,
    unreviewedFields: a.fields.filter((f) => f.status === 'proposed').length,
    status: a.status,
    version: a.version,
    updatedAt: new Date(a.updatedAt).toISOString(),
    updatedBy: a.updatedBy,
  };
}

/** Column headers of the CSV: Chinese first (the ledger's own words), English after a slash. */
const CSV_COLUMNS: [keyof InventoryRow, string][] = [
  ['id', '资产编号/id'],
  ['name', '资产名称/name'],
  ['kind', '资产类型/kind'],
  ['source', '数据来源/source'],
  ['purpose', '用途/purpose'],
  ['storageLocation', '存储位置/storage location'],
  ['volume', '数据量级/volume'],
  ['volumeUnit', '计量单位/unit'],
  ['updateFrequency', '更新频率/update frequency'],
  ['responsiblePerson', '数据责任人/responsible person'],
  ['sensitivityScheme', '分级方案/scheme'],
  ['sensitivityGrade', '敏感度/sensitivity'],
  ['sensitivityName', '敏感度名称/sensitivity name'],
  ['fields', '字段数/fields'],
  ['identifyingFields', '标识字段数/identifying fields'],
  ['unreviewedFields', '待确认字段数/unreviewed fields'],
  ['status', '状态/status'],
  ['version', '版本/version'],
  ['updatedAt', '最后更新/updated at'],
  ['updatedBy', '更新人/updated by'],
];

/** The inventory as CSV with a UTF-8 BOM, so that spreadsheet programs read the Chinese right. */
export function inventoryCsv(inventory: Inventory): string {
  return (
    '\ufeff' +
    stringify(inventory.assets, {
      header: true,
      columns: CSV_COLUMNS.map(([key, header]) => ({ key, header })),
    })
  );
}
