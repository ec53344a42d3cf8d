import { isCustodiaError } from '../core/index.js';
import type { StrongIdentifierKind, TenantIndexer } from '../crypto/index.js';
import { isRecord, type FhirResource } from '../fhir/index.js';

/**
 * Identifier systems strong enough to say two Patient records are one person. The resident ID
 * system is the WS/T 500 OID (患者身份证件号码); passports are recognised by the v2-0203 type
 * code PPN with their issuing system, so passports of different countries never collide.
 */
const STRONG_SYSTEMS: ReadonlyMap<string, StrongIdentifierKind> = new Map([
  ['urn:oid:2.16.156.10011.1.3', 'resident-id'],
  ['http://hl7.org/fhir/sid/us-ssn', 'us-ssn'],
]);
const IDENTIFIER_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** The strong identifier a Patient identifier is, if any. */
export function strongIdentifierKind(identifier: unknown): StrongIdentifierKind | undefined {
  if (!isRecord(identifier)) return undefined;
  const system = identifier['system'];
  if (typeof system === 'string') {
    const kind = STRONG_SYSTEMS.get(system);
    if (kind) return kind;
  }
  const codings = isRecord(identifier['type']) ? identifier['type']['coding'] : undefined;
  const isPassport =
    Array.isArray(codings) &&
    codings.some((c) => isRecord(c) && c['system'] === IDENTIFIER_TYPE_SYSTEM && c['code'] === 'PPN');
  return isPassport ? 'passport' : undefined;
}

/**
 * The unified lookup codes (统一调阅编码) of a Patient: one keyed token per strong identifier.
 * Two hospitals' records of one person carry the same resident ID and so the same code, which
 * links them in the patient index without the ID itself being stored anywhere. An identifier
 * that fails its own check (a resident ID with a wrong check digit) links nothing: a typo must
 * not join two different people.
 */
export function patientLinks(patient: FhirResource, indexer: TenantIndexer): string[] {
  const codes = new Set<string>();
  for (const identifier of Array.isArray(patient['identifier']) ? patient['identifier'] : []) {
    const kind = strongIdentifierKind(identifier);
    if (!kind) continue;
    const value = (identifier as Record<string, unknown>)['value'];
    if (typeof value !== 'string') continue;
    const system = (identifier as Record<string, unknown>)['system'];
    // A passport number is unique only within its issuer.
    const qualified = kind === 'passport' && typeof system === 'string' ? `${system}:${value}` : value;
    try {
      codes.add(indexer.lookupCode(kind, qualified));
    } catch (e) {
      if (!isCustodiaError(e)) throw e;
    }
  }
  return [...codes];
}
