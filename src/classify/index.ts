// Grading schemes and their handling rules.
export type {
  AccessScope,
  AssignmentRule,
  ClassificationFacts,
  ConfidentialityCode,
  ConsentRequirement,
  DataCategory,
  Deidentification,
  Grade,
  GradeRef,
  GradingScheme,
  HandlingRules,
  I18nText,
  PurposeRule,
  SafeHarborIdentifier,
} from './scheme-model.js';
export { CONFIDENTIALITY_ORDER, DATA_CATEGORIES } from './scheme-model.js';
export { PURPOSES, PURPOSE_NAMES, PURPOSE_OF_USE, isPurpose, type Purpose } from './purposes.js';
export {
  BUILT_IN_SCHEMES,
  assignGrade,
  buildScheme,
  compareGrades,
  getGrade,
  getScheme,
  handlingFor,
  listSchemes,
  maxGrade,
  registerScheme,
} from './schemes.js';

// FHIR security labels.
export {
  ACT_CODE_SYSTEM,
  CATEGORY_SYSTEM,
  CONFIDENTIALITY_SYSTEM,
  DEIDENTIFICATION_SYSTEM,
  OBSERVATION_VALUE_SYSTEM,
  gradeSystem,
  type Coding,
  type FhirResource,
} from './fhir-types.js';
export {
  MANAGED_SENSITIVITY,
  applyLabels,
  labelResource,
  relabel,
  securityTokens,
  type LabelReason,
  type ResourceLabels,
} from './labels.js';
export { VALUE_SETS, codeFamily, normalizeIcd10, type ValueSet } from './valuesets.js';
export { resourceTypeInfo, type ResourceTypeInfo } from './valuesets.js';

// Discovery of identifying columns.
export {
  ColumnDiscovery,
  discoverCsv,
  discoverRows,
  maskValue,
  type ColumnProposal,
  type CsvSource,
  type DiscoveryOptions,
  type DiscoveryReport,
  type TypeCandidate,
} from './discovery/discover.js';
export {
  IDENTIFIER_INFO,
  IDENTIFIER_TYPES,
  type IdentifierType,
  type IdentifierTypeInfo,
} from './discovery/identifier-types.js';

// Free-text PHI.
export { detectPhi, phiDetector, type PhiSpan, type PhiType } from './phi.js';
export {
  evaluatePhi,
  loadPhiCorpus,
  type CorpusSplit,
  type GoldSentence,
  type PhiEvaluation,
  type Scores,
} from './phi-eval.js';
