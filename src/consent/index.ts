/**
 * consent: dynamic consent (动态同意). Per patient, ordered rules that grant or deny uses of their
 * data by category, security label, grade, purpose of use, recipient and period, over the
 * defaults of the tenant's grading scheme; every change a signed version with a receipt (JWS);
 * FHIR R4 Consent in and out; cached evaluation for guard; revocation that reaches derived data;
 * guardians of minors; patients' complaints.
 */
export {
  ConsentService,
  type ConsentView,
  type ChangeOutcome,
  type ConsentActor,
  type ConsentAudit,
  type ConsentAuditEvent,
  type ConsentServiceOptions,
} from './service.js';
export { consentMigrations, type ConsentTables } from './tables.js';
export { CompiledConsent } from './evaluate.js';
export { SamePerson, type LinkedRecordsSource } from './person.js';
export { CONSENT_INDEPENDENT, requirementFor, describeRequirement, gradeOf } from './defaults.js';
export { compareScopes, compileRule, overlaps, type CompiledRule, type ScopeRelation } from './scope.js';
export { precedenceOf, type Overlap } from './overlaps.js';
export { validateRule, type RawRule } from './validate.js';
export { labelsOf } from './labels.js';
export {
  PURPOSE_CODES,
  PURPOSE_OF_USE_SYSTEM,
  parsePurpose,
  purposeCoding,
  purposeFromCoding,
} from './purpose-codes.js';
export { toFhirConsent, fromFhirConsent } from './fhir.js';
export { RECEIPT_KEY, rulesHash, signReceipt, verifyReceipt, type ReceiptClaims } from './receipt.js';
export {
  AGE_OF_MAJORITY,
  RELATIONSHIPS,
  isActive,
  majorityAt,
  type Guardianship,
  type Relationship,
} from './guardians.js';
export {
  DERIVED_KINDS,
  InclusionRegistry,
  type DerivedKind,
  type Inclusion,
  type UseOfData,
} from './derived.js';
export {
  COMPLAINT_STATUSES,
  COMPLAINT_TOPICS,
  type Complaint,
  type ComplaintStatus,
  type ComplaintTopic,
  type NewComplaint,
} from './complaints.js';
export {
  CHANGE_ACTIONS,
  RECIPIENT_KINDS,
  type ActingCapacity,
  type ChangeAction,
  type Consent,
  type ConsentDecision,
  type ConsentId,
  type ConsentQuery,
  type ConsentRule,
  type ConsentVersion,
  type DecisionBasis,
  type Effect,
  type ExplainedDecision,
  type LossReason,
  type OverriddenRule,
  type PatientKey,
  type Period,
  type Recipient,
  type RecipientKind,
  type RecipientScope,
  type RequirementOrForbidden,
  type RuleId,
  type RuleInput,
  type RuleScope,
  type RuleSummary,
} from './model.js';
