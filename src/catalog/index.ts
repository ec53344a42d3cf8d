export { Catalog, createCatalog, DEFAULT_SCHEME, type CatalogOptions } from './service.js';
export { catalogMigrations } from './migrations.js';
export { CollectionSync, type CollectionSource, type CollectionSyncReport } from './collections.js';
export {
  SchemeControl,
  type RelabelJob,
  type RelabelProgress,
  type RelabelReport,
  type RelabelRun,
  type SchemeControlOptions,
} from './scheme-switch.js';
export { buildInventory, inventoryCsv, type Inventory, type InventoryRow } from './inventory.js';
export {
  ASSET_KINDS,
  UPDATE_FREQUENCIES,
  type Asset,
  type AssetInput,
  type AssetKind,
  type AssetPatch,
  type AssetVersion,
  type ChangeAction,
  type FieldDecision,
  type FieldDecisionInput,
  type FieldSpec,
  type FieldStatus,
  type LineageEdge,
  type LineageNode,
  type UpdateFrequency,
} from './model.js';
