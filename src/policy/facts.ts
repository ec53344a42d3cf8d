/**
 * Adapters from what guard holds to the facts a policy request carries: identity's `Principal`
 * (plus its organization's type and seat), and a stored version's metadata (plus the labels and
 * category the clinical store keeps beside it). Nothing here decides; it only translates.
 */
import type { DataCategory } from '../classify/index.js';
import type { OrganizationType, Principal } from '../identity/index.js';
import type { PatientDataFacts, PrincipalFacts } from './model.js';

/** The organization facts guard looks up once per organization (identity's `Organization` fits). */
export interface OrganizationFacts {
  type?: OrganizationType | undefined;
  divisionCode?: string | null | undefined;
}

export function principalFactsOf(principal: Principal, organization: OrganizationFacts = {}): PrincipalFacts {
  return {
    userId: principal.userId,
    kind: principal.kind,
    roles: principal.roles,
    orgId: principal.orgId,
    organizationType: organization.type,
    qualifications: principal.qualifications,
    department: principal.department,
    region: organization.divisionCode ?? null,
  };
}

/** A stored version's metadata (records' `StoredVersion` fits). */
export interface StoredFacts {
  resourceType: string;
  id: string;
  orgId: string;
  patientKey: string;
  /** As records stores it: `seed-3-grade:grade-2`. */
  grade: string;
}

export function patientDataFactsOf(
  stored: StoredFacts,
  meta: { category: DataCategory; labels: readonly string[]; department?: string | null },
): PatientDataFacts {
  return {
    kind: 'patient-data',
    id: `${stored.resourceType}/${stored.id}`,
    resourceType: stored.resourceType,
    grade: stored.grade,
    category: meta.category,
    labels: meta.labels,
    orgId: stored.orgId,
    patientKey: stored.patientKey,
    department: meta.department ?? null,
  };
}

/** The id of the Patient record a patient user's account is linked to; undefined for anyone else. */
export function ownPatientId(principal: Principal): string | undefined {
  const ref = principal.patientRef;
  if (ref === null || !principal.roles.includes('patient')) return undefined;
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/**
 * Whether the principal is the data subject: a patient user whose account is linked to this
 * patient key, or to a record the patient index links to it (`linked`, which guard looks up: the
 * same person at another hospital).
 */
export function isOwnRecord(
  principal: Principal,
  patientKey: string,
  linked: readonly string[] = [],
): boolean {
  const own = ownPatientId(principal);
  return own !== undefined && (own === patientKey || linked.includes(patientKey));
}
