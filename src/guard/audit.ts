import { createHmac } from 'node:crypto';
import { LruCache, type TenantId } from '../core/index.js';
import type { KeyProvider } from '../crypto/index.js';
import type { AuditEntry, Ledger, PatientToken } from '../ledger/index.js';
import type { Principal } from '../identity/index.js';

/**
 * Patients appear in the ledger as keyed tokens: the same patient always gives the same token
 * (so "who read my record" can be answered), and without the tenant's key nobody can tell whose.
 */
export class AuditTokens {
  /** Every read records its patients' tokens, and the same patients come back often. */
  private readonly cache = new LruCache<string, PatientToken>(65_536);

  private constructor(private readonly key: Buffer) {}

  static async create(keys: KeyProvider, tenant: TenantId): Promise<AuditTokens> {
    return new AuditTokens(await keys.deriveSubkey(tenant, 'pseudonym:audit-patient'));
  }

  /** The token of a patient key; resources about nobody (`org:…` keys) have none. */
  patient(patientKey: string): PatientToken | undefined {
    if (patientKey.startsWith('org:')) return undefined;
    let token = this.cache.get(patientKey);
    if (token === undefined) {
      const mac = createHmac('sha256', this.key).update(patientKey).digest().subarray(0, 18);
      token = `pt.${mac.toString('base64url')}` as PatientToken;
      this.cache.set(patientKey, token);
    }
    return token;
  }

  patients(keys: Iterable<string>): PatientToken[] {
    const out = new Set<PatientToken>();
    for (const k of keys) {
      const t = this.patient(k);
      if (t) out.add(t);
    }
    return [...out];
  }
}

/** The request a guarded call serves: who, why, and the id that ties the ledger to the logs. */
export interface Access {
  principal: Principal;
  requestId?: string | undefined;
  /** HL7 PurposeOfUse code given with the request, if any. */
  purpose?: string | undefined;
}

/** Most resource references kept in one entry (a search page can list many). */
const MAX_RESOURCES = 200;

type Filled = 'actor' | 'organization' | 'time' | 'requestId' | 'purpose';
/** An audit entry without what `entryFor` fills in (per kind: Omit over the union, member by member). */
export type EntryFields = AuditEntry extends infer E
  ? E extends AuditEntry
    ? Omit<E, Filled>
    : never
  : never;

export function entryFor(access: Access, fields: EntryFields, time: number): AuditEntry {
  const { principal } = access;
  // Object.assign onto a literal: on Node 20's V8, spreading `fields` and adding properties after
  // it took several µs, and every read makes one of these.
  const entry: Record<string, unknown> = { actor: principal.userId, organization: principal.orgId, time };
  if (access.requestId !== undefined) entry.requestId = access.requestId;
  if (access.purpose !== undefined) entry.purpose = access.purpose;
  Object.assign(entry, fields);
  const resources = entry.resources as string[] | undefined;
  if (resources && resources.length > MAX_RESOURCES) entry.resources = resources.slice(0, MAX_RESOURCES);
  return entry as unknown as AuditEntry;
}

export type { Ledger };
