/**
 * The clinical store: FHIR R4 resources sealed per patient, searchable without plaintext
 * identifiers, versioned, and linked across institutions by unified lookup codes (统一调阅编码).
 * Only `guard` reads from it.
 */
export {
  Records,
  recordsRegistry,
  type RecordsOptions,
  type StoredVersion,
  type WriteOutcome,
  type DeleteOutcome,
  type SearchResult,
  type PatientLink,
} from './records.js';
export type { WriteContext } from './prepare.js';
export type { SearchScope } from './search.js';
export { executeBundle, type BundleChange, type EntryReader, type ReadEntry } from './bundle.js';
export {
  importNdjson,
  importBundle,
  IMPORT_CHUNK,
  type ImportResult,
  type ImportProblem,
  type ImportProgress,
} from './import.js';
export { strongIdentifierKind } from './patient-index.js';
export { recordsMigrations, type RecordsTables } from './tables.js';
export { relabelResources, type RelabelOptions, type RelabelResult } from './relabel.js';
export { collectionChanges, collectionGradeCounts } from './collection-stats.js';
export {
  careHoldsUntil,
  linkedPatientKeys,
  practitionersWithIdentifier,
  ONGOING_ENCOUNTER_STATUSES,
  type CareWindow,
} from './care.js';
