/**
 * Realistic synthetic FHIR R4 data for demos, tests and benchmarks: Chinese patients with valid
 * resident IDs (and some English-speaking ones), their encounters, diagnoses, tests, medicines and
 * notes at the hospitals of a region, some of them at two hospitals. Deterministic per seed.
 */
export {
  generateRegion,
  generatePatients,
  DEMO_HOSPITALS,
  type RegionOptions,
  type Region,
  type RegionHospital,
  type RegionManifest,
  type ManifestHospital,
  type ManifestPatient,
  type GeneratedPatient,
} from './generate.js';
export {
  hospitalDirectory,
  type HospitalSpec,
  type HospitalDirectory,
  type StaffMember,
  type StaffRole,
} from './hospital.js';
export type { HospitalStay } from './record.js';
export { toNdjson, bundleResources, type NdjsonOptions } from './ndjson.js';
export { writeRegionFiles, writeNdjsonFile } from './files.js';
export { careRelationships, identifyingStrings, type CareRelationship } from './manifest.js';
export type { FhirResource, TransactionBundle, BundleEntry, Identifier, Reference } from './fhir-types.js';
export * from './systems.js';
export {
  CONDITIONS,
  DEPARTMENTS,
  LOINC,
  type ConditionDef,
  type DepartmentKey,
  type SensitiveCategory,
} from './catalog.js';
export { DIVISIONS, divisionByCode, type Division } from './divisions.js';
export { CN_MOBILE_PREFIXES, isChineseMobile, isUsPhone } from './phones.js';
export { isValidUscc, usccCheckChar } from './uscc.js';
export { COMPOUND_SURNAMES } from './chinese-names.js';
export { Random } from './random.js';
