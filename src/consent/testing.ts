/** Test support: the people who act on consent in the module's tests. */
import type { OrgId, TenantId, UserId } from '../core/index.js';
import type { Principal } from '../identity/index.js';

export const TEST_TENANT = 'default' as TenantId;

/** A person of hospital `org-h`: a patient linked to `Patient/{patient}` unless other roles are given. */
export const person = (
  userId: string,
  patient: string | null,
  roles: Principal['roles'] = ['patient'],
): Principal => ({
  tenantId: TEST_TENANT,
  userId: userId as UserId,
  username: userId,
  kind: 'person',
  orgId: 'org-h' as OrgId,
  roles,
  qualifications: [],
  department: null,
  patientRef: patient && `Patient/${patient}`,
  credentialId: userId,
  purposeOfUse: null,
});
