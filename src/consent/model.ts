/**
 * The consent model: per patient, an ordered list of rules that grant or deny uses of the
 * patient's data. A rule narrows each dimension or leaves it open ("any"); what it does not name
 * it does not restrict. Precedence between rules is in `precedence.ts`, the defaults a rule
 * changes come from the tenant's grading scheme (`defaults.ts`).
 */
import type { Brand } from '../core/index.js';
import type { DataCategory, Purpose } from '../classify/index.js';
import type { OrganizationType } from '../identity/index.js';

/** A rule's id (UUIDv7): stable across versions, used as the FHIR provision id. */
export type RuleId = Brand<string, 'ConsentRuleId'>;
/** The id of a patient's consent record (one per patient, all versions share it). */
export type ConsentId = Brand<string, 'ConsentId'>;
/** Whose consent: the Patient's id, the same key that seals their records (`patientKey`). */
export type PatientKey = Brand<string, 'PatientKey'>;

export type Effect = 'grant' | 'deny';

/** The recipient kinds a rule can name, from the broadest to the narrowest. */
export const RECIPIENT_KINDS = ['any', 'organization-type', 'organization', 'project', 'agreement'] as const;
export type RecipientKind = (typeof RECIPIENT_KINDS)[number];

/** Who receives the data, as a rule names it. */
export type RecipientScope =
  | { kind: 'any' }
  | { kind: 'organization-type'; values: readonly OrganizationType[] }
  | { kind: 'organization' | 'project' | 'agreement'; values: readonly string[] };

/** A half-open interval [start, end) in epoch milliseconds; an absent end is open. */
export interface Period {
  start?: number | undefined;
  end?: number | undefined;
}

/**
 * What a rule covers. An absent list means any: a rule with no `purposes` covers every purpose.
 * `labels` are security label codes (HL7 sensitivity codes such as HIV, PSY, ETH, or
 * confidentiality codes such as R, V); `categories` are GB/T 39725 data categories.
 */
export interface RuleScope {
  categories?: readonly DataCategory[] | undefined;
  labels?: readonly string[] | undefined;
  grades?: readonly string[] | undefined;
  purposes?: readonly Purpose[] | undefined;
  recipient: RecipientScope;
  period: Period;
}

export interface ConsentRule extends RuleScope {
  id: RuleId;
  /** Position in the patient's list (1, 2, ...): the order the patient made them in. */
  seq: number;
  effect: Effect;
  /** The version that added it. */
  addedIn: number;
  /**
   * Set only on a rule of the same person's other record, merged in to decide for this one (see
   * person.ts): that record's id. Never stored.
   */
  linkedRecord?: string | undefined;
}

/** A rule as a caller submits it (id, seq and version are the store's). */
export interface RuleInput {
  effect: Effect;
  categories?: readonly DataCategory[] | undefined;
  labels?: readonly string[] | undefined;
  grades?: readonly string[] | undefined;
  purposes?: readonly Purpose[] | undefined;
  recipient?: RecipientScope | undefined;
  period?: Period | undefined;
}

/** The request a decision is for: one use of one patient's data. */
export interface ConsentQuery {
  patient: string;
  /**
   * The data's labels: security label codes (HIV, PSY, R, ...) and its data category
   * (`health-status`, ...). `labelsOf` turns FHIR `meta.security` codings into this list.
   */
  labels: readonly string[];
  /** The grade in the tenant's scheme: `grade-2`, or as records stores it, `seed-3-grade:grade-2`. */
  grade: string;
  purpose: Purpose;
  recipient: Recipient;
  /** Epoch ms; now when absent. */
  time?: number | undefined;
}

/** Who receives the data, as the request says it. */
export interface Recipient {
  organization: string;
  /** Looked up from the organization when absent. */
  organizationType?: OrganizationType | undefined;
  project?: string | undefined;
  agreement?: string | undefined;
}

/** Why a decision came out the way it did. */
export type DecisionBasis =
  /** A rule of the patient's decided. */
  | 'rule'
  /** No rule applied; the grade's default for the purpose decided. */
  | 'default'
  /** The law allows the use whatever the patient said (emergency care, a legal duty, their own request). */
  | 'legal-basis'
  /** The scheme does not allow this purpose for this grade at all: no consent can allow it. */
  | 'not-allowed-for-grade';

export interface ConsentDecision {
  permit: boolean;
  basis: DecisionBasis;
  /** The rule that decided, when `basis` is `rule`. */
  rule?: RuleSummary | undefined;
  /** What the scheme requires of consent for this grade and purpose. */
  requirement: RequirementOrForbidden;
  reason: string;
  zh: string;
  /** The consent version the decision was made on (0: the patient never said anything). */
  version: number;
}

/** Precedence spelled out: present when a caller asks for an explanation. */
export interface ExplainedDecision extends ConsentDecision {
  /** Rules that applied to the request but did not decide, each with why (first 50). */
  overridden: OverriddenRule[];
  /** How many rules applied in all (the decider included). */
  applied: number;
}

export interface RuleSummary {
  id: RuleId;
  seq: number;
  /** The record whose consent holds the rule, when it is another record of the same person. */
  linkedRecord?: string | undefined;
  effect: Effect;
}

export type LossReason =
  /** A narrower rule (its scope lies inside this one's) applied too. */
  | 'narrower-rule-applies'
  /** A deny of equal or incomparable scope applied too. */
  | 'deny-overrides-grant'
  /** The use needs a separate consent: only a grant naming this purpose counts. */
  | 'separate-consent-needed'
  /** The law allows the use whatever the rules say. */
  | 'legal-basis';

export interface OverriddenRule {
  rule: RuleSummary;
  lost: LossReason;
  /** The rule it lost to, where one rule beat it. */
  to?: RuleSummary | undefined;
  reason: string;
  zh: string;
}

/** What the scheme says the person must have agreed to, or that the use is not allowed at all. */
export type RequirementOrForbidden = 'not-required' | 'opt-out' | 'opt-in' | 'separate' | 'forbidden';

/** A version of a patient's consent: each change makes one, signed. */
export interface ConsentVersion {
  consentId: ConsentId;
  patient: PatientKey;
  version: number;
  action: ChangeAction;
  /** Rules this version added and removed. */
  added: readonly RuleId[];
  removed: readonly RuleId[];
  /** SHA-256 (base64url) of the canonical JSON of the rules in force at this version. */
  rulesHash: string;
  ruleCount: number;
  changedAt: number;
  changedBy: string;
  /** `self`, `guardian` or `staff`: in what capacity the person acted. */
  actedAs: ActingCapacity;
  /** The consent receipt: a compact JWS (EdDSA) the patient keeps. */
  receipt: string;
}

export const CHANGE_ACTIONS = ['grant', 'deny', 'revoke', 'import'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

export type ActingCapacity = 'self' | 'guardian';

/** A patient's consent as it stands. */
export interface Consent {
  consentId: ConsentId;
  patient: PatientKey;
  /** 0 when the patient has never changed anything (the scheme's defaults apply). */
  version: number;
  rules: readonly ConsentRule[];
  updatedAt: number | undefined;
}
