/**
 * Revocation reaches derived data. The sharing and de-identification modules record here which
 * datasets, agreements and projects included which patients, for what purpose and recipient.
 * When a patient's consent changes, each of their inclusions is weighed again under the new
 * consent; one that the consent no longer allows is flagged (when, by which version, why), and
 * `screenRelease` keeps flagged and refusing patients out of every later release.
 */
import type { Kysely } from 'kysely';
import { badRequest, type TenantId } from '../core/index.js';
import type { Purpose } from '../classify/index.js';
import type { ConsentDecision, ConsentQuery, Recipient } from './model.js';
import { fromJson, toJson } from './rows.js';
import type { ConsentTables } from './tables.js';

export const DERIVED_KINDS = ['dataset', 'agreement', 'project'] as const;
export type DerivedKind = (typeof DERIVED_KINDS)[number];

/** What a release or derivation used: the same facts a consent decision is asked about. */
export interface UseOfData {
  purpose: Purpose;
  recipient: Recipient;
  /** The grades of the patient's data it took (each is weighed; one refusal excludes). */
  grades: readonly string[];
  /** The labels (category, sensitivity codes) of the data it took. */
  labels: readonly string[];
}

export interface Inclusion extends UseOfData {
  kind: DerivedKind;
  id: string;
  patient: string;
  includedAt: number;
  includedBy: string;
  /** Set when a consent change withdrew what the inclusion relied on. */
  flag: { at: number; version: number; reason: string } | null;
}

export type Evaluate = (query: ConsentQuery) => Promise<ConsentDecision>;

export class InclusionRegistry {
  constructor(
    private readonly db: Kysely<ConsentTables>,
    private readonly tenant: TenantId,
  ) {}

  /** Records that a derived item included these patients (an inclusion already recorded stays as it was). */
  async include(
    derived: { kind: DerivedKind; id: string },
    use: UseOfData,
    patients: readonly string[],
    by: string,
    at: number,
  ): Promise<number> {
    if (!(DERIVED_KINDS as readonly string[]).includes(derived.kind))
      throw badRequest(`kind must be one of ${DERIVED_KINDS.join(', ')}`, {
        path: 'kind',
        zh: `kind 须为 ${DERIVED_KINDS.join('、')} 之一`,
      });
    const unique = [...new Set(patients)];
    for (let i = 0; i < unique.length; i += 200)
      await this.db
        .insertInto('consent_inclusion')
        .values(
          unique.slice(i, i + 200).map((patient) => ({
            tenant_id: this.tenant,
            patient_key: patient,
            kind: derived.kind,
            derived_id: derived.id,
            purpose: use.purpose,
            recipient_org: use.recipient.organization,
            project: use.recipient.project ?? null,
            agreement: use.recipient.agreement ?? null,
            grades: toJson(use.grades),
            labels: toJson(use.labels),
            included_at: at,
            included_by: by,
            flagged_at: null,
            flag_version: null,
            flag_reason: null,
          })),
        )
        .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'derived_id', 'patient_key']).doNothing())
        .execute();
    return unique.length;
  }

  async forPatient(patient: string): Promise<Inclusion[]> {
    const rows = await this.db
      .selectFrom('consent_inclusion')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .orderBy('included_at')
      .execute();
    return rows.map(toInclusion);
  }

  async forDerived(kind: DerivedKind, id: string, onlyFlagged = false): Promise<Inclusion[]> {
    let q = this.db
      .selectFrom('consent_inclusion')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('kind', '=', kind)
      .where('derived_id', '=', id);
    if (onlyFlagged) q = q.where('flagged_at', 'is not', null);
    return (await q.orderBy('patient_key').execute()).map(toInclusion);
  }

  /** Weighs the patient's unflagged inclusions under their consent now; flags the refused ones. */
  async reweigh(patient: string, version: number, evaluate: Evaluate, at: number): Promise<Inclusion[]> {
    const flagged: Inclusion[] = [];
    for (const inclusion of await this.forPatient(patient)) {
      if (inclusion.flag) continue;
      const refusal = await firstRefusal(patient, inclusion, evaluate, at);
      if (!refusal) continue;
      const flag = { at, version, reason: refusal.reason };
      await this.db
        .updateTable('consent_inclusion')
        .set({ flagged_at: at, flag_version: version, flag_reason: refusal.reason })
        .where('tenant_id', '=', this.tenant)
        .where('kind', '=', inclusion.kind)
        .where('derived_id', '=', inclusion.id)
        .where('patient_key', '=', patient)
        .where('flagged_at', 'is', null)
        .execute();
      flagged.push({ ...inclusion, flag });
    }
    return flagged;
  }

  /**
   * Which of these patients a release may include: not those flagged in the item it derives from,
   * and not those whose consent now refuses the use.
   */
  async screenRelease(
    patients: readonly string[],
    use: UseOfData,
    evaluate: Evaluate,
    at: number,
    derivedFrom?: { kind: DerivedKind; id: string },
  ): Promise<{ include: string[]; exclude: { patient: string; reason: string }[] }> {
    const flagged = new Map<string, string>();
    if (derivedFrom)
      for (const i of await this.forDerived(derivedFrom.kind, derivedFrom.id, true))
        flagged.set(i.patient, `flagged at consent version ${i.flag!.version}: ${i.flag!.reason}`);
    const include: string[] = [];
    const exclude: { patient: string; reason: string }[] = [];
    for (const patient of new Set(patients)) {
      const flag = flagged.get(patient);
      if (flag) {
        exclude.push({ patient, reason: flag });
        continue;
      }
      const refusal = await firstRefusal(patient, use, evaluate, at);
      if (refusal) exclude.push({ patient, reason: refusal.reason });
      else include.push(patient);
    }
    return { include, exclude };
  }
}

async function firstRefusal(
  patient: string,
  use: UseOfData,
  evaluate: Evaluate,
  at: number,
): Promise<ConsentDecision | undefined> {
  for (const grade of use.grades) {
    const decision = await evaluate({
      patient,
      labels: use.labels,
      grade,
      purpose: use.purpose,
      recipient: use.recipient,
      time: at,
    });
    if (!decision.permit) return decision;
  }
  return undefined;
}

function toInclusion(row: Omit<ConsentTables['consent_inclusion'], 'tenant_id'>): Inclusion {
  return {
    kind: row.kind as DerivedKind,
    id: row.derived_id,
    patient: row.patient_key,
    purpose: row.purpose as Purpose,
    recipient: {
      organization: row.recipient_org,
      ...(row.project === null ? {} : { project: row.project }),
      ...(row.agreement === null ? {} : { agreement: row.agreement }),
    },
    grades: fromJson<string[]>(row.grades),
    labels: fromJson<string[]>(row.labels),
    includedAt: row.included_at,
    includedBy: row.included_by,
    flag:
      row.flagged_at === null
        ? null
        : { at: row.flagged_at, version: row.flag_version ?? 0, reason: row.flag_reason ?? '' },
  };
}
