import type { DataCategory, Purpose } from '../classify/index.js';
import type { OrganizationType, Role } from '../identity/index.js';

/** What a principal does with data. `use` actions need a purpose; `change` actions change data. */
export const POLICY_ACTIONS = ['read', 'search', 'export', 'query', 'reidentify', 'write', 'erase'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Where a request comes from, as the network the server sits in tells it. */
export const NETWORK_ZONES = ['internal', 'partner', 'internet'] as const;
export type NetworkZone = (typeof NETWORK_ZONES)[number];

/** The principal as the policy sees it: identity's `Principal` plus facts about its organization. */
export interface PrincipalFacts {
  userId: string;
  kind: 'person' | 'service';
  roles: readonly Role[];
  orgId: string;
  organizationType?: OrganizationType | undefined;
  qualifications: readonly { type: string; value: string; validUntil?: number | undefined }[];
  department?: string | null | undefined;
  /** GB/T 2260 division code of the organization's seat. */
  region?: string | null | undefined;
}

/** One patient's data, decided on stored metadata before anything is decrypted. */
export interface PatientDataFacts {
  kind: 'patient-data';
  /** Used as the Cedar entity id; `Observation/123` or a search's `Observation?patient=…`. */
  id: string;
  resourceType: string;
  /** Grade id in the tenant's scheme (`grade-2`, or `seed-3-grade:grade-2` as records stores it). */
  grade: string;
  category: DataCategory;
  /** Sensitivity and confidentiality codes (consent's `labelsOf(meta.security)`). */
  labels: readonly string[];
  orgId: string;
  patientKey: string;
  department?: string | null | undefined;
}

/** A dataset or extract built from many patients' data. */
export interface DatasetFacts {
  kind: 'dataset';
  id: string;
  grade: string;
  category: DataCategory;
  labels: readonly string[];
  orgId: string;
  deidentification: 'identified' | 'limited' | 'pseudonymized' | 'anonymized' | 'aggregated';
}

export type ResourceFacts = PatientDataFacts | DatasetFacts;

/** The consent module's decision for this use (consent's `ConsentDecision` fits). */
export interface ConsentInput {
  permit: boolean;
  /** The patient's consent version it was made on: a new version is a new cache key. */
  version: number;
}

/** The principal's break-glass grant for the patient, as `BreakGlassService.stateFor` gives it. */
export type BreakGlassInput =
  | { state: 'none' }
  | { state: 'active'; grantId: string; expiresAt: number }
  | { state: 'expired'; grantId: string; expiredAt: number };

/** The declared public-health emergency covering this use, as `EmergencyService.covering` gives it. */
export interface EmergencyInput {
  declarationId: string;
}

export interface RequestContextInput {
  /** The purpose of use, already parsed from HL7 (consent's `parsePurpose`); undefined when none was given. */
  purpose?: Purpose | undefined;
  /** Epoch ms of the request. */
  time: number;
  networkZone: NetworkZone;
  /** The principal is on the patient's care team. */
  careRelationship: boolean;
  /** The principal is the data subject (or their guardian). */
  ownRecord: boolean;
  /** Undefined when no consent applies (no patient data, or not asked). */
  consent?: ConsentInput | undefined;
  /** A data use agreement covers this use. */
  agreement?: boolean | undefined;
  breakGlass?: BreakGlassInput | undefined;
  emergency?: EmergencyInput | undefined;
  privacyComputing?: boolean | undefined;
  institutionalFiling?: boolean | undefined;
  ethicsApproval?: boolean | undefined;
}

/** One question for the policy decision point. */
export interface PolicyRequest {
  action: PolicyAction;
  principal: PrincipalFacts;
  resource: ResourceFacts;
  context: RequestContextInput;
}

/** Identifiers the masking obligation knows (deid's format-aware masks). */
export const MASK_FIELDS = ['name', 'resident-id', 'phone', 'address'] as const;
export type MaskField = (typeof MASK_FIELDS)[number];

export const AUDIT_LEVELS = ['standard', 'detailed', 'flagged'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];
export const AUDIT_FLAGS = ['break-glass', 'emergency'] as const;
export type AuditFlag = (typeof AUDIT_FLAGS)[number];

/** What a permit obliges guard to do with the data before it answers. */
export type Obligation =
  /** Show these identifiers masked: 张**, 110101********1234, 138****5678, address to district. */
  | { kind: 'mask'; fields: readonly MaskField[] }
  /** Leave out resources carrying any of these security labels. */
  | { kind: 'redact'; labels: readonly string[] }
  /** Run this de-identification profile (deid) over what is released. */
  | { kind: 'deidentify'; profile: string }
  /** The released data stays bound to this purpose (recorded with it, checked downstream). */
  | { kind: 'require-purpose'; purpose: Purpose }
  /** How the ledger entry of this access is written; flagged accesses are reviewed afterwards. */
  | {
      kind: 'audit';
      level: AuditLevel;
      flags: readonly AuditFlag[];
      breakGlassGrant?: string | undefined;
      emergencyDeclaration?: string | undefined;
    };

export type ObligationKind = Obligation['kind'];

/** Why a request was denied: the forbid that applied, or that no permit did. */
export type DenyCode = string;

export type PolicyDecision =
  | {
      permit: true;
      obligations: readonly Obligation[];
      /** The permit policies that applied. */
      policies: readonly string[];
      /** The policy version decided under. */
      version: number;
    }
  | {
      permit: false;
      code: DenyCode;
      en: string;
      zh: string;
      /** The forbid policies that applied (empty when no permit applied). */
      policies: readonly string[];
      version: number;
    };
