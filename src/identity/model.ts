import type { OrgId, TenantId, UserId } from '../core/index.js';

export const ORGANIZATION_TYPES = [
  'hospital',
  'regional-platform',
  'research-institute',
  'regulator',
  'vendor',
] as const;
export type OrganizationType = (typeof ORGANIZATION_TYPES)[number];

export const ROLES = [
  'patient',
  'clinician',
  'nurse',
  'data-steward',
  'researcher',
  'privacy-officer',
  'ethics-reviewer',
  'regulator',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_NAMES_ZH: Record<Role, string> = {
  patient: '患者',
  clinician: '医生',
  nurse: '护士',
  'data-steward': '数据管理员',
  researcher: '研究人员',
  'privacy-officer': '隐私官',
  'ethics-reviewer': '伦理审查员',
  regulator: '监管人员',
  admin: '系统管理员',
};

export interface Organization {
  tenantId: TenantId;
  id: OrgId;
  name: string;
  nameZh: string | null;
  type: OrganizationType;
  /** GB/T 2260 administrative division code of the seat, for regional scoping. */
  divisionCode: string | null;
  createdAt: number;
}

/** A licence, a department, a training: what the policy module checks beside the role. */
export interface Qualification {
  type: string;
  value: string;
  /** Epoch ms after which the qualification no longer counts. */
  validUntil?: number;
}

export type UserKind = 'person' | 'service';

export interface User {
  tenantId: TenantId;
  id: UserId;
  username: string;
  displayName: string;
  kind: UserKind;
  orgId: OrgId;
  roles: Role[];
  qualifications: Qualification[];
  department: string | null;
  /** For patient users: the FHIR Patient they are. */
  patientRef: string | null;
  disabled: boolean;
  createdAt: number;
}

/** Who is making a request, as every module downstream of authentication sees it. */
export interface Principal {
  tenantId: TenantId;
  userId: UserId;
  username: string;
  kind: UserKind;
  orgId: OrgId;
  roles: readonly Role[];
  qualifications: readonly Qualification[];
  department: string | null;
  patientRef: string | null;
  /** The access token's id (for revocation), or the API key's id. */
  credentialId: string;
  purposeOfUse: string | null;
}

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);
export const isOrganizationType = (value: string): value is OrganizationType =>
  (ORGANIZATION_TYPES as readonly string[]).includes(value);

/**
 * A principal for work the system does itself in one organization's name (the console operator of
 * `custodia import`, the demo seeder, benchmarks): no user row, no token, id `system:<name>`.
 */
export function servicePrincipal(
  tenantId: TenantId,
  orgId: OrgId,
  name: string,
  roles: readonly Role[],
): Principal {
  return {
    tenantId,
    userId: `system:${name}` as UserId,
    username: name,
    kind: 'service',
    orgId,
    roles,
    qualifications: [],
    department: null,
    patientRef: null,
    credentialId: name,
    purposeOfUse: null,
  };
}
