import type { Principal, Role } from '../identity/index.js';

/** What guard decided, with the reason a person can read (en and zh). */
export type Decision = { permit: true; reason: string } | Denial;
export type Denial = { permit: false; code: DenyCode; reason: string; zh: string };

export type DenyCode =
  | 'not-staff'
  | 'other-organization'
  | 'not-own-record'
  | 'may-not-write'
  | 'may-not-erase'
  | 'may-not-reidentify'
  | 'purpose-required'
  | 'consent-denied';

/** Roles that look after patients' records in their organization (and its service accounts). */
const STAFF: ReadonlySet<Role> = new Set(['clinician', 'nurse', 'data-steward', 'admin', 'privacy-officer']);
/** Roles that may add or change clinical records for their organization. */
const WRITERS: ReadonlySet<Role> = new Set(['clinician', 'nurse', 'data-steward', 'admin']);

const isStaff = (p: Principal) => p.kind === 'service' || p.roles.some((r) => STAFF.has(r));

/** The resource facts the default policy looks at (no body: decided before anything is decrypted). */
export interface ResourceFacts {
  orgId: string;
  patientKey: string;
}

/**
 * The default read policy until the policy module (Cedar, consent, purpose) replaces it: staff
 * of the organization that holds a record may read it; a patient may read their own record;
 * everyone else is denied, with a reason.
 */
export function decideRead(principal: Principal, facts: ResourceFacts): Decision {
  if (principal.patientRef !== null && principal.roles.includes('patient')) {
    return patientIdOf(principal.patientRef) === facts.patientKey
      ? { permit: true, reason: 'own-record' }
      : {
          permit: false,
          code: 'not-own-record',
          reason: 'a patient may read only their own records',
          zh: '患者只能查看本人的记录',
        };
  }
  if (!isStaff(principal))
    return {
      permit: false,
      code: 'not-staff',
      reason: 'only staff of the organization that holds a record may read it',
      zh: '只有持有该记录的机构的工作人员可以查看',
    };
  return principal.orgId === facts.orgId
    ? { permit: true, reason: 'staff-of-owning-organization' }
    : {
        permit: false,
        code: 'other-organization',
        reason: 'the record belongs to another organization',
        zh: '该记录属于其他机构',
      };
}

/** Who may write clinical records for their own organization. */
export function decideWrite(principal: Principal): Decision {
  if (principal.kind === 'service' || principal.roles.some((r) => WRITERS.has(r)))
    return { permit: true, reason: 'writer-of-own-organization' };
  return {
    permit: false,
    code: 'may-not-write',
    reason: 'this role may not add or change clinical records',
    zh: '该角色不能新增或修改临床记录',
  };
}

/** Crypto-shredding a patient: an administrator or privacy officer of the organization that holds them. */
export function decideErase(principal: Principal, facts: ResourceFacts): Decision {
  if (!principal.roles.some((r) => r === 'admin' || r === 'privacy-officer'))
    return {
      permit: false,
      code: 'may-not-erase',
      reason: 'only an administrator or privacy officer may erase a patient',
      zh: '只有管理员或隐私官可以擦除患者数据',
    };
  if (principal.orgId !== facts.orgId)
    return {
      permit: false,
      code: 'other-organization',
      reason: 'the patient belongs to another organization',
      zh: '该患者属于其他机构',
    };
  return { permit: true, reason: 'erasure-by-owning-organization' };
}

/** Roles that may reverse de-identification tokens (重标识), always with a declared purpose. */
const REIDENTIFIERS: ReadonlySet<Role> = new Set(['privacy-officer', 'data-steward']);

/** Re-identifying de-identified data: a privacy officer or data steward who states why. */
export function decideReidentify(principal: Principal, purpose: string | undefined): Decision {
  if (!principal.roles.some((r) => REIDENTIFIERS.has(r)))
    return {
      permit: false,
      code: 'may-not-reidentify',
      reason: 'only a privacy officer or data steward may re-identify de-identified data',
      zh: '只有隐私官或数据管理员可以对去标识化数据进行重标识',
    };
  if (!purpose?.trim())
    return {
      permit: false,
      code: 'purpose-required',
      reason: 're-identification needs a declared purpose of use (X-Purpose-Of-Use)',
      zh: '重标识须声明使用目的（X-Purpose-Of-Use）',
    };
  return { permit: true, reason: 'reidentifier-with-purpose' };
}

/** The organizations whose records a search by this principal may return (guard filters, never leaks). */
export function readableOrganizations(principal: Principal): readonly string[] {
  return isStaff(principal) ? [principal.orgId] : [];
}

/** `Patient/123` or `123` → `123`. */
export const patientIdOf = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
