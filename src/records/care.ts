/**
 * Care relationships as the clinical records show them: a practitioner looks after a patient when
 * an Encounter of the patient lists them as a participant, or the Patient names them as general
 * practitioner. A user is the Practitioner whose identifier is their practising-licence number
 * (执业证书编号), so nothing has to be kept in step by hand: the relationship arrives with the
 * records the hospital sends. Both questions are answered from the search index (references are
 * plain, identifiers blind, dates and status codes plain), never by opening a sealed body.
 *
 * A relationship from an Encounter is limited in time (seed 000 §3(三): access limited by time;
 * 002 §4.2.2: only the necessary range): it holds from the encounter's start until a window after
 * its end, so a doctor who saw the patient once years ago no longer reads the whole record without
 * break-glass. The general practitioner's relationship lasts as long as the Patient names them.
 */
import { sql } from 'kysely';
import { MAX_INSTANT } from '../fhir/index.js';
import { blindIndexOf } from './index-rows.js';
import type { Records } from './records.js';

/**
 * Encounter statuses (R4 encounter-status) of a stay still under way: it holds however long ago it
 * began (a long admission), where a finished one without an end counts from its start.
 */
export const ONGOING_ENCOUNTER_STATUSES = ['arrived', 'triaged', 'in-progress', 'onleave'] as const;

/** Encounter statuses of a visit that did not take place, or was recorded in error: no relationship. */
export const VOID_ENCOUNTER_STATUSES = ['cancelled', 'entered-in-error'] as const;

/** When a care relationship is asked about: the instant, and how long one lasts after its encounter ends. */
export interface CareWindow {
  now: number;
  afterEndMs: number;
}

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

/**
 * Until when (epoch ms, exclusive) one of the practitioners looks after one of the patient keys,
 * asked at `window.now`; undefined when no relationship holds then. A general practitioner, or a
 * participant of an encounter still under way, holds until MAX_INSTANT. One query: the participant
 * row of each Encounter joined to the same Encounter's period (`date`) and status rows (ongoing;
 * void, which leaves it out).
 */
export async function careHoldsUntil(
  records: Records,
  practitionerIds: readonly string[],
  patientKeys: readonly string[],
  window: CareWindow,
): Promise<number | undefined> {
  if (practitionerIds.length === 0 || patientKeys.length === 0) return undefined;
  const found = await liveSearchRows(records)
    // The Encounter's period (a Patient row joins neither this nor the status below).
    .leftJoin('rec_search as d', (j) =>
      j
        .onRef('d.tenant_id', '=', 's.tenant_id')
        .onRef('d.resource_type', '=', 's.resource_type')
        .onRef('d.resource_id', '=', 's.resource_id')
        .on('d.resource_type', '=', 'Encounter')
        .on('d.param', '=', 'date'),
    )
    // Its status: a stay under way holds for ever, a void visit makes no relationship.
    .leftJoin('rec_search as o', (j) =>
      j
        .onRef('o.tenant_id', '=', 's.tenant_id')
        .onRef('o.resource_type', '=', 's.resource_type')
        .onRef('o.resource_id', '=', 's.resource_id')
        .on('o.resource_type', '=', 'Encounter')
        .on('o.param', '=', 'status')
        .on('o.system', '=', ''),
    )
    .where((eb) => eb.or([eb('o.value', 'is', null), eb('o.value', 'not in', [...VOID_ENCOUNTER_STATUSES])]))
    .select(relationshipEnd(window.afterEndMs).as('until'))
    .where((eb) =>
      eb.or([
        eb.and([eb('s.resource_type', '=', 'Patient'), eb('s.param', '=', 'general-practitioner')]),
        eb.and([
          eb('s.resource_type', '=', 'Encounter'),
          eb('s.param', '=', 'participant'),
          eb('d.low', '<=', window.now),
        ]),
      ]),
    )
    .where('s.system', '=', 'Practitioner')
    .where('s.value', 'in', [...practitionerIds])
    .where('r.patient_key', 'in', [...patientKeys])
    .executeTakeFirst();
  const until = found?.until === null || found?.until === undefined ? undefined : Number(found.until);
  return until !== undefined && until > window.now ? until : undefined;
}

/**
 * The latest end of the matching relationships. An Encounter's relationship ends its window after the period's
 * end; without an end (high is MAX_INSTANT) it never ends while under way, else its window after
 * the start. Comparing with MAX_INSTANT before adding keeps the sum inside a bigint.
 */
function relationshipEnd(afterEndMs: number) {
  const forever = sql.lit(MAX_INSTANT);
  return sql<number | string | null>`max(case
    when s.resource_type = 'Patient' then ${forever}
    when d.high < ${forever} then d.high + ${afterEndMs}
    when o.value in (${sql.join(ONGOING_ENCOUNTER_STATUSES.map((v) => sql.lit(v)))}) then ${forever}
    else d.low + ${afterEndMs}
  end)`;
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
