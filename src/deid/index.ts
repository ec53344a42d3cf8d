/**
 * The de-identification engine (去标识化) as a module: what sharing, guard, the API and the CLI
 * use. Everything here is a stable name; the search internals (checkers, loss tables, lattice
 * nodes) stay private to src/deid so they can change without touching callers.
 */

// Running a profile over a file (the `custodia deid` command, exports) and its report.
export type { DeidProgress, RunDeidOptions } from './run.js';
export { runDeid, resolveKeyRef } from './run.js';
export type { DeidReport } from './report/types.js';
export { renderReportHtml } from './report/html.js';

// Profiles: YAML/JSON, validated before anything is read or written.
export type { DeidConfig, FieldEntry, FhirRule, SensitiveModel } from './config/types.js';
export type { DeidPlan, ResolveOptions } from './config/load.js';
export { parseConfig, resolveConfig, loadConfig, checkOperator } from './config/load.js';
export type { Gbt37964Role, SafeHarborIdentifier } from './profiles.js';
export {
  SAFE_HARBOR,
  SAFE_HARBOR_FHIR_RULES,
  GBT_37964_STEPS,
  safeHarborOperator,
  gbtDirectOperator,
  gradingFieldSpecs,
} from './profiles.js';
export type { GradedField, GradingSettings } from './grading.js';
export { ACCESS_SCOPES, deriveGradedFields, gradingOperator, schemeFor } from './grading.js';

// Record-level operators: one compiled function per field or FHIR path.
export type { OperatorSpec, OperatorName } from './operators/spec.js';
export { OPERATOR_NAMES } from './operators/spec.js';
export type {
  CellOperator,
  FreeTextDetector,
  OperatorEnvironment,
  PhiSpan,
  RecordContext,
} from './operators/compile.js';
export { compileOperator, redactSpans } from './operators/compile.js';
export {
  COMPOUND_SURNAMES,
  maskAddress,
  maskEmail,
  maskMiddle,
  maskPersonName,
  maskPhone,
  maskResidentId,
} from './operators/mask.js';
export type { DateGrain, DivisionLevel } from './operators/generalize.js';
export {
  HIPAA_RESTRICTED_ZIP3,
  ageAt,
  band,
  generalizeDivision,
  topCode,
  truncateDate,
  zip3,
} from './operators/generalize.js';
export type { BuiltinHierarchy, Hierarchy } from './operators/hierarchy.js';
export {
  TOP,
  ageHierarchy,
  builtinHierarchy,
  chainOf,
  dateHierarchy,
  divisionHierarchy,
  flatHierarchy,
  hierarchyFromCsv,
  zipHierarchy,
} from './operators/hierarchy.js';
export { patientShiftDays, shiftDate } from './operators/date-shift.js';
export type { NoiseMechanism, Rng } from './operators/noise.js';
export { addNoise, cryptoRng, gaussian, laplace, seededRng } from './operators/noise.js';
export { KeyedHmac } from './operators/hmac.js';

// Pseudonyms and reversible tokens; re-identification only through a gate (policy + ledger).
export type { Actor, ReidentifyEvent, ReidentifyGate, Tokenizer } from './operators/pseudonym.js';
export {
  DENY_ALL_GATE,
  TokenVault,
  checkKey,
  hmacPseudonym,
  roleGate,
  sivTokenizer,
} from './operators/pseudonym.js';

// FHIR resources by path.
export type { JsonObject } from './apply/fhir.js';
export { FhirDeidentifier, patientOf } from './apply/fhir.js';
export { resolveFhirPath } from './apply/fhir-paths.js';

// Privacy models, optimal search, local recoding, risk and utility.
export type { AnonymizeOptions, AnonymizeResult } from './privacy/anonymize.js';
export { anonymize } from './privacy/anonymize.js';
export type { PrivacyCriterion } from './privacy/criteria.js';
export type { EncodedTable, QiSpec } from './privacy/encode.js';
export { TableEncoder, encodeRows } from './privacy/encode.js';
export type { LossMetric } from './privacy/loss.js';
export type { LatticeResult, SearchOptions } from './privacy/lattice.js';
export { exhaustiveSearch, optimalSearch } from './privacy/lattice.js';
export type { LocalRecoding } from './privacy/local.js';
export { localRecoding } from './privacy/local.js';
export type { Recoding } from './privacy/recoding.js';
export { generalizedValue, globalRecoding } from './privacy/recoding.js';
export type { PopulationTable, RiskMeasures, UtilityMeasures } from './privacy/measures.js';
export { riskOf, utilityOf } from './privacy/measures.js';
export type { Verification } from './privacy/verify.js';
export { verifyRelease } from './privacy/verify.js';
