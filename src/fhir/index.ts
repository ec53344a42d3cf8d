/**
 * FHIR R4 for Custodia, pure (no database): structural validation, OperationOutcome, search
 * parameters (parsing and index extraction), transaction/batch planning, response Bundles,
 * streaming readers for import, and the CapabilityStatement.
 */
export type * from './types.js';
export { isRecord } from './types.js';

export {
  SUPPORTED_RESOURCE_TYPES,
  isSupportedResourceType,
  type SupportedResourceType,
} from './resource-types.js';
export {
  createRegistry,
  defaultRegistry,
  extractIndexValues,
  patientIdsOf,
  DEFAULT_INTERACTIONS,
  DEFAULT_OPERATIONS,
  type FhirRegistry,
  type RegistryOptions,
  type ResourceRegistration,
  type TypeInteraction,
  type SystemInteraction,
  type OperationRef,
} from './registry.js';

export {
  FhirValidator,
  defaultValidator,
  type ValidatorOptions,
  type ValidateOptions,
  type ValidationResult,
} from './validation/validator.js';
export { invalidContent, issuesOf, ISSUES_EXTENSION, type ValidationIssue } from './validation/issues.js';
export { isValidReference } from './validation/references.js';

export {
  operationOutcome,
  outcomeIssue,
  outcomeFromIssues,
  outcomeFromError,
  outcomeForError,
  denialReasonOf,
  DENIAL_REASON_SYSTEM,
  informationOutcome,
  issueTypeForStatus,
  type OutcomeInput,
  type GenericError,
} from './outcome.js';

export {
  parseFhirDate,
  periodRange,
  isCalendarValid,
  MIN_INSTANT,
  MAX_INSTANT,
  type DateRange,
  type ParsedDate,
  type DatePrecision,
} from './datetime.js';

export {
  parseSearch,
  parsePreferHandling,
  formatSearchQuery,
  splitEscaped,
  DEFAULT_COUNT,
  MAX_COUNT,
  type ParsedSearch,
  type SearchCriterion,
  type TokenQuery,
  type DateQuery,
  type SortKey,
  TOTAL_MODES,
  type TotalMode,
  type Handling,
  type QueryInput,
  type SearchOptions,
} from './search/parse.js';
export {
  datePredicates,
  matchesRange,
  DATE_PREFIXES,
  type DatePrefix,
  type RangePredicate,
} from './search/date-match.js';
export {
  COMMON_PARAMS,
  TYPE_PARAMS,
  type SearchParamDefinition,
  type SearchParamType,
} from './search/definitions.js';
export { IDENTIFYING_KINDS, type IndexValue, type IndexKind } from './search/index-values.js';
export { normalizeName, normalizePhone, normalizeIdentifierValue } from './search/normalize.js';

export {
  planBundle,
  identifierCondition,
  DEFAULT_MAX_ENTRIES,
  type BundlePlan,
  type PlannedEntry,
  type PlannedOp,
  type CreateCondition,
  type ConditionalReference,
  type PlanOptions,
} from './bundle/plan.js';
export {
  bindPlan,
  type BoundPlan,
  type BoundEntry,
  type MatchedEntry,
  type PlanResolution,
} from './bundle/bind.js';
export {
  bundleResponse,
  searchsetBundle,
  searchsetJson,
  historyBundle,
  statusLine,
  type EntryResult,
  type SearchsetInput,
  type RawResource,
  type HistoryInput,
  type HistoryVersion,
} from './bundle/response.js';
export { parseRequestUrl, parseETag, formatETag, type RequestTarget } from './bundle/request-url.js';
export { collectReferences, type ReferenceSlot } from './bundle/references.js';

export { readNdjson, DEFAULT_MAX_LINE_CHARS, type NdjsonItem, type NdjsonOptions } from './stream/ndjson.js';
export {
  readBundleEntries,
  BundleEntryScanner,
  DEFAULT_MAX_ENTRY_CHARS,
  type BundleStreamEvent,
  type BundleStreamOptions,
} from './stream/bundle-entries.js';

export { capabilityStatement, type CapabilityOptions } from './capability.js';
