import type { Purpose } from './purposes.js';

/** A text in both languages the platform speaks; Chinese first. */
export interface I18nText {
  zh: string;
  en: string;
}

/** HL7 v3-Confidentiality, ordered from least to most restricted. */
export const CONFIDENTIALITY_ORDER = ['U', 'L', 'M', 'N', 'R', 'V'] as const;
export type ConfidentialityCode = (typeof CONFIDENTIALITY_ORDER)[number];

/** The GB/T 39725-2020 data categories (数据分类): every label names one. */
export const DATA_CATEGORIES = [
  'personal-attribute',
  'health-status',
  'medical-application',
  'medical-payment',
  'health-resource',
  'public-health',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** How far from the person the data has been moved: decides grades in every scheme. */
export type Deidentification = 'identified' | 'limited' | 'pseudonymized' | 'anonymized' | 'aggregated';

/** GB/T 39725's access ranges (访问范围), used by every scheme to bound who may see a grade. */
export type AccessScope = 'public' | 'large' | 'medium' | 'small' | 'minimal';

/**
 * What the data subject must have agreed to before a use. `not-required` uses need no consent
 * (care, a legal duty); `opt-out` uses go ahead unless the person objected; `opt-in` needs a
 * recorded authorization; `separate` needs a separate consent for this use alone (PIPL Art. 29).
 */
export type ConsentRequirement = 'not-required' | 'opt-out' | 'opt-in' | 'separate';

/** The conditions under which one purpose may use data of a grade. A purpose absent from a grade is not allowed. */
export interface PurposeRule {
  consent: ConsentRequirement;
  requiresPrivacyComputing?: boolean;
  requiresDeidentification?: boolean;
  requiresInstitutionalFiling?: boolean;
  /** A declared public-health emergency must be in force (the seed's 公共健康紧急必要). */
  requiresEmergencyDeclaration?: boolean;
  requiresEthicsApproval?: boolean;
  note?: I18nText;
}

/** As written in the scheme file. */
export interface HandlingRulesSource {
  requiresEncryption: boolean;
  /** `whole-lifecycle`: encrypted in use as well (privacy computing only), the seed's 全程加密. */
  encryptionScope: 'storage-and-transit' | 'whole-lifecycle';
  maxAccessScope: AccessScope;
  /** Uses must record where the data came from (来源) and which de-identification standard applied (脱敏标准). */
  requiresSourceRecord: boolean;
  requiresDeidentificationStandardRecord: boolean;
  purposes: Partial<Record<Purpose, PurposeRule>>;
}

/**
 * The handling rules the policy, consent and sharing modules read. The summary fields are derived
 * from `purposes` when the scheme loads, so the file has one source of truth.
 */
export interface HandlingRules extends HandlingRulesSource {
  allowedPurposes: readonly Purpose[];
  /** Purposes (other than care of the person) that need a separate consent. */
  requiresSeparateConsent: boolean;
  /** When set, every secondary use must have one of these purposes (care and the person's own request excepted). */
  requiresPurposeIn: readonly Purpose[] | undefined;
  /** True when any allowed secondary use must run under privacy computing. */
  requiresPrivacyComputing: boolean;
  requiresDeidentification: boolean;
  requiresInstitutionalFiling: boolean;
  /** What the consent module assumes for each allowed purpose when the person has said nothing. */
  defaultConsent: Readonly<Partial<Record<Purpose, 'permit' | 'deny'>>>;
}

export interface Grade {
  id: string;
  /** Higher is more sensitive, comparable within one scheme only. */
  rank: number;
  name: I18nText;
  description: I18nText;
  examples: { zh: string[]; en: string[] };
  /** The least restrictive confidentiality that data of this grade may carry. */
  confidentiality: ConfidentialityCode;
  /** GB/T 39725's access range wording, where the scheme has one. */
  accessRange?: I18nText;
  handling: HandlingRules;
}

/** Facts a labeller establishes about a resource or a column; schemes turn them into a grade. */
export interface ClassificationFacts {
  resourceType?: string;
  category: DataCategory;
  /** HL7 v3-ActCode sensitivity codes (HIV, PSY, ...). */
  sensitivity: readonly string[];
  /** Custodia's own tags from the value sets (chronic-disease, physical-exam, medication, ...). */
  tags: readonly string[];
  deidentification: Deidentification;
  /** For columns: what kind of identifier the column holds. */
  identifierKind?: 'direct' | 'quasi' | 'none';
  /** For columns: the identifier type discovered (resident-id, mobile, date-of-birth, ...). */
  identifierType?: string;
}

/** One assignment rule: every listed condition must hold (an empty rule always matches). */
export interface AssignmentCondition {
  anySensitivity?: string[];
  anyTag?: string[];
  category?: DataCategory[];
  resourceType?: string[];
  deidentification?: Deidentification[];
  identifierKind?: ('direct' | 'quasi' | 'none')[];
  identifierType?: string[];
}

export interface AssignmentRule {
  when: AssignmentCondition;
  grade: string;
  reason: I18nText;
}

/** HIPAA Safe Harbor: one of the 18 identifiers of 45 CFR 164.514(b)(2). */
export interface SafeHarborIdentifier {
  number: number;
  id: string;
  name: I18nText;
  /** Kept in a limited data set (164.514(e)): dates, town, state, ZIP. */
  allowedInLimitedDataSet: boolean;
  note?: I18nText;
}

export type GradeSource = Omit<Grade, 'handling'> & { handling: HandlingRulesSource };

export interface SchemeSource {
  id: string;
  version: string;
  name: I18nText;
  description: I18nText;
  source: I18nText;
  grades: GradeSource[];
  /** Rules tried in order; the first that matches assigns the grade. */
  assignment: AssignmentRule[];
  defaultGrade: string;
  safeHarborIdentifiers?: SafeHarborIdentifier[];
}

export interface GradingScheme {
  readonly id: string;
  readonly version: string;
  readonly name: I18nText;
  readonly description: I18nText;
  readonly source: I18nText;
  /** Least sensitive first. */
  readonly grades: readonly Grade[];
  readonly assignment: readonly AssignmentRule[];
  readonly defaultGrade: string;
  readonly safeHarborIdentifiers: readonly SafeHarborIdentifier[];
}

/** A grade as stored beside data: which scheme, which grade. */
export interface GradeRef {
  scheme: string;
  grade: string;
}
