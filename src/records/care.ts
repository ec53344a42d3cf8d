/**
 * Care relationships as the clinical records show them: a practitioner looks after a patient when
 * an Encounter of the patient lists them as a participant, or the Patient names them as general
 * practitioner. A user is the Practitioner whose identifier is their practising-licence number
 * (执业证书编号), so nothing has to be kept in step by hand: the relationship arrives with the
 * records the hospital sends. Both questions are answered from the search index (references are
 * plain, identifiers blind), never by opening a sealed body.
 */
import { sql } from 'kysely';
import { blindIndexOf } from './index-rows.js';
import type { Records } from './records.js';

/** Where a care relationship is recorded: (resource type, search parameter naming the practitioner). */
const CARE_PARAMS = [
  ['Encounter', 'participant'],
  ['Patient', 'general-practitioner'],
] as const;

/** The ids of the organization's Practitioner records that carry this identifier value (any system). */
export async function practitionersWithIdentifier(
  records: Records,
  orgId: string,
  value: string,
): Promise<string[]> {
  const blind = blindIndexOf(records.indexer, 'identifier', value);
  if (blind === undefined) return [];
  const rows = await liveSearchRows(records)
    .select('r.id')
    .where('s.resource_type', '=', 'Practitioner')
    .where('s.param', '=', 'identifier')
    .where('s.value', '=', blind)
    .where('r.org_id', '=', orgId)
    .execute();
  return [...new Set(rows.map((r) => r.id))];
}

/** The patient and the records the patient index links to them (the same person at other hospitals). */
export async function linkedPatientKeys(records: Records, patientKey: string): Promise<string[]> {
  const rows = await records.db
    .selectFrom('rec_patient_link as mine')
    .innerJoin('rec_patient_link as other', (j) =>
      j.onRef('other.tenant_id', '=', 'mine.tenant_id').onRef('other.lookup_code', '=', 'mine.lookup_code'),
    )
    .select('other.patient_id')
    .where('mine.tenant_id', '=', records.tenant)
    .where('mine.patient_id', '=', patientKey)
    .execute();
  return [...new Set([patientKey, ...rows.map((r) => r.patient_id)])];
}

/** Whether one of the practitioners looks after one of the patient keys (an Encounter or the GP). */
export async function caresFor(
  records: Records,
  practitionerIds: readonly string[],
  patientKeys: readonly string[],
): Promise<boolean> {
  if (practitionerIds.length === 0 || patientKeys.length === 0) return false;
  const found = await liveSearchRows(records)
    .select(sql<number>`1`.as('one'))
    .where((eb) =>
      eb.or(
        CARE_PARAMS.map(([type, param]) =>
          eb.and([eb('s.resource_type', '=', type), eb('s.param', '=', param)]),
        ),
      ),
    )
    .where('s.system', '=', 'Practitioner')
    .where('s.value', 'in', [...practitionerIds])
    .where('r.patient_key', 'in', [...patientKeys])
    .limit(1)
    .executeTakeFirst();
  return found !== undefined;
}

/** The tenant's search rows (`s`) joined to the current version of their resource (`r`), deleted ones left out. */
function liveSearchRows(records: Records) {
  return records.db
    .selectFrom('rec_search as s')
    .innerJoin('rec_resource as r', (j) =>
      j
        .onRef('r.tenant_id', '=', 's.tenant_id')
        .onRef('r.resource_type', '=', 's.resource_type')
        .onRef('r.id', '=', 's.resource_id'),
    )
    .where('s.tenant_id', '=', records.tenant)
    .where('r.method', '!=', 'DELETE');
}
