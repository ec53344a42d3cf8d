import type { Principal, Role } from '../identity/index.js';
import type { SearchScope } from '../records/index.js';

/** What guard decided, with the reason a person can read (en and zh). */
export type Decision = { permit: true; reason: string } | Denial;
/** A refusal: the policy's reason code (`no-care-relationship`, `purpose-required`, …) and its messages. */
export type Denial = { permit: false; code: string; reason: string; zh: string };

/** Roles that look after an organization's directory (its practitioners, locations, itself). */
const STAFF: ReadonlySet<Role> = new Set(['clinician', 'nurse', 'data-steward', 'admin', 'privacy-officer']);

const isStaff = (p: Principal) => p.kind === 'service' || p.roles.some((r) => STAFF.has(r));

/** The resource facts a directory decision looks at (no body: decided before anything is decrypted). */
export interface ResourceFacts {
  orgId: string;
  patientKey: string;
}

/**
 * Directory entries (resources about no patient: Practitioner, Organization, Location) are read
 * by the staff of the organization that keeps them. Patient data is the policy's to decide.
 */
export function decideDirectoryRead(principal: Principal, facts: ResourceFacts): Decision {
  if (!isStaff(principal))
    return {
      permit: false,
      code: 'not-staff',
      reason: 'only staff of the organization may read its directory (practitioners, organizations)',
      zh: '只有本机构工作人员可以查看其机构目录（医务人员、机构）',
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

/** Roles that may reverse de-identification tokens (重标识), always with a declared purpose. */
const REIDENTIFIERS: ReadonlySet<Role> = new Set(['privacy-officer', 'data-steward']);

export const PURPOSE_REQUIRED: Denial = {
  permit: false,
  code: 'purpose-required',
  reason: 'using patient data needs a declared purpose of use (the X-Purpose-Of-Use header or a token claim)',
  zh: '使用患者数据须声明使用目的（X-Purpose-Of-Use 请求头或令牌声明）',
};

/** A permit whose redaction obligation leaves the one resource asked for out. */
export const REDACTED: Denial = {
  permit: false,
  code: 'redacted',
  reason: 'this record carries a sensitivity label that is withheld for this purpose',
  zh: '该记录带有在此使用目的下不予提供的敏感标签',
};

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

/**
 * Where a search looks before the policy decides on each match. Staff search their own
 * organization's records (a search across every hospital would only be refused row by row);
 * regulators search the region; a patient searches the records of the Patient their account is
 * linked to and of those the patient index links to it (`linked`; a patient-facing app's
 * `Observation?patient=…`); anyone else finds nothing.
 */
export function searchScopeOf(principal: Principal, linked: readonly string[] = []): SearchScope {
  if (principal.roles.includes('regulator')) return {};
  if (isStaff(principal)) return { orgIds: [principal.orgId] };
  const own = principal.roles.includes('patient') ? principal.patientRef : undefined;
  return own ? { patientKeys: [...new Set([patientIdOf(own), ...linked])] } : { orgIds: [] };
}

/** What the person refused can do next. */
export function hintFor(code: string): string {
  switch (code) {
    case 'purpose-required':
      return 'declare why with the X-Purpose-Of-Use header (an HL7 PurposeOfUse code such as TREAT)';
    case 'no-care-relationship':
      // Also the answer once a relationship has lapsed: say how long one lasts.
      return 'an Encounter naming you makes a care relationship while the stay is under way and for careWindowDays after it ends; in an emergency, declare break-glass for this patient (POST /break-glass)';
    case 'break-glass-expired':
      return 'declare break-glass again if care still needs it';
    case 'consent-denied':
    case 'separate-consent-required':
      return "the patient's consent decides this use; the patient can change it in the portal";
    case 'deidentification-required':
      return 'ask for a de-identified extract';
    default:
      return 'ask the organization that holds the record, or your privacy officer';
  }
}

/** `Patient/123` or `123` → `123`. */
export const patientIdOf = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
