/**
 * policy: the policy decision point (PDP). Cedar policies over a schema of principals (users with
 * roles, organization, qualifications, department), resources (patient data with grade, labels,
 * owner; datasets) and context (purpose of use, time, network zone, care relationship, consent,
 * agreement, break-glass, emergency); a default pack implementing the seeds; obligations returned
 * with each permit (mask, redact, de-identify, require a purpose, audit level) and a function that
 * applies masking and redaction to FHIR JSON; versioned policy changes validated before they take
 * effect; break-glass grants and declared public-health emergencies. A library: guard calls it.
 */
export {
  POLICY_ACTIONS,
  NETWORK_ZONES,
  MASK_FIELDS,
  AUDIT_LEVELS,
  AUDIT_FLAGS,
  type PolicyAction,
  type NetworkZone,
  type PrincipalFacts,
  type PatientDataFacts,
  type DatasetFacts,
  type ResourceFacts,
  type ConsentInput,
  type BreakGlassInput,
  type EmergencyInput,
  type RequestContextInput,
  type PolicyRequest,
  type MaskField,
  type AuditLevel,
  type AuditFlag,
  type Obligation,
  type ObligationKind,
  type DenyCode,
  type PolicyDecision,
} from './model.js';
export { CEDAR_VERSION, type CedarProblem } from './cedar.js';
export {
  compilePack,
  custodiaSchema,
  defaultPolicyFiles,
  describeProblems,
  packDigest,
  readPackDir,
  type CompiledPack,
  type PackResult,
  type PolicyFiles,
} from './pack.js';
export { PolicyDecisionPoint, type PdpOptions } from './pdp.js';
export { hourOf } from './entities.js';
export { NO_PERMITTING_POLICY, POLICY_ERROR } from './messages.js';
export { applyObligations, obligationsChange, securityCodes, RESIDENT_ID_SYSTEM } from './apply.js';
export { type PolicyAuditNote, type PolicyRecorder } from './audit.js';
export { policyMigrations, type PolicyTables } from './tables.js';
export {
  PolicyService,
  POLICY_AUTHORS,
  type PolicyActor,
  type PolicyChange,
  type PolicyServiceOptions,
  type PolicyStatus,
  type PolicyVersion,
  type PolicyVersionSummary,
} from './service.js';
export {
  BreakGlassService,
  breakGlassReason,
  BREAK_GLASS_REVIEWERS,
  BREAK_GLASS_ROLES,
  DEFAULT_BREAK_GLASS_TTL_MS,
  MAX_BREAK_GLASS_TTL_MS,
  REVIEW_OUTCOMES,
  type BreakGlassActor,
  type BreakGlassGrant,
  type BreakGlassOptions,
  type ReviewOutcome,
} from './break-glass.js';
export {
  EmergencyService,
  EMERGENCY_DECLARERS,
  MAX_EMERGENCY_MS,
  type EmergencyActor,
  type EmergencyDeclaration,
  type EmergencyScope,
} from './emergency.js';
export {
  isOwnRecord,
  ownPatientId,
  patientDataFactsOf,
  principalFactsOf,
  type OrganizationFacts,
  type StoredFacts,
} from './facts.js';
