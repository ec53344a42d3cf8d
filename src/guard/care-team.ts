import { LruCache, type Clock } from '../core/index.js';
import type { Principal } from '../identity/index.js';
import {
  careHoldsUntil,
  linkedPatientKeys,
  practitionersWithIdentifier,
  type Records,
} from '../records/index.js';

/** Where care relationships come from (see `CareTeam`). */
export const CARE_SOURCES = ['records', 'organization'] as const;
export type CareSource = (typeof CARE_SOURCES)[number];

/**
 * How many days after an encounter ends its care relationship still holds, unless configured
 * (`careWindowDays`). Ninety days covers what follows a visit or a discharge: follow-up visits
 * (typically within weeks to three months), results that arrive late (cultures, pathology), the
 * discharge summary and the record's completion; a visit from last year no longer opens the whole
 * record (seed 002 §4.2.2, the necessary range). Longer care is a new encounter, or the general
 * practitioner link, which does not expire.
 */
export const DEFAULT_CARE_WINDOW_DAYS = 90;

const DAY_MS = 86_400_000;

/** Roles that give care. */
const CARERS = ['clinician', 'nurse'] as const;

/** The qualification whose value is the user's Practitioner identifier (执业证书编号). */
const LICENCE = 'practising-licence';

/**
 * How long an answer is reused. A new Encounter makes a relationship within this time in other
 * processes (this one forgets at once, see `forget`). A remembered "yes" is kept no longer than
 * the relationship holds, so one that ends (its window after the encounter passes) ends on time.
 */
const TTL_MS = 30_000;

interface Remembered<T> {
  value: T;
  until: number;
}

/**
 * The care relationship a policy decision asks about ("is this clinician looking after this
 * patient?"). From the records (see records' care.ts), remembered briefly per user and patient
 * (a page of twenty Observations of one patient asks once); or, where a hospital runs the open
 * model, every clinician and nurse of the organization that holds the record.
 */
export class CareTeam {
  private readonly practitioners = new LruCache<string, Remembered<string[]>>(10_000);
  private readonly answers = new LruCache<string, Remembered<boolean>>(100_000);

  private readonly afterEndMs: number;

  constructor(
    private readonly records: Records,
    private readonly clock: Clock,
    private readonly source: CareSource = 'records',
    windowDays: number = DEFAULT_CARE_WINDOW_DAYS,
  ) {
    this.afterEndMs = windowDays * DAY_MS;
  }

  /** Whether the principal is on the patient's care team, at any hospital the patient index links. */
  async includes(principal: Principal, data: { patientKey: string; orgId: string }): Promise<boolean> {
    const { patientKey } = data;
    if (principal.kind !== 'person' || patientKey.startsWith('org:')) return false;
    if (this.source === 'organization')
      return (
        principal.orgId === data.orgId &&
        principal.roles.some((r) => (CARERS as readonly string[]).includes(r))
      );
    const now = this.clock.now();
    const key = `${principal.userId}\u0000${patientKey}`;
    const known = this.answers.get(key);
    if (known !== undefined && known.until > now) return known.value;
    const holdsUntil = await this.relationshipUntil(principal, patientKey, now);
    const value = holdsUntil !== undefined;
    this.answers.set(key, { value, until: Math.min(now + TTL_MS, holdsUntil ?? Infinity) });
    return value;
  }

  /** Forgets what was remembered (a write in this process may have made a relationship). */
  forget(): void {
    this.answers.clear();
    this.practitioners.clear();
  }

  /** Until when the principal's relationship with the patient (or a linked record) holds; undefined if none does now. */
  private async relationshipUntil(
    principal: Principal,
    patientKey: string,
    now: number,
  ): Promise<number | undefined> {
    const practitioners = await this.practitionersOf(principal, now);
    if (practitioners.length === 0) return undefined;
    const patientKeys = await linkedPatientKeys(this.records, patientKey);
    return careHoldsUntil(this.records, practitioners, patientKeys, { now, afterEndMs: this.afterEndMs });
  }

  private async practitionersOf(principal: Principal, now: number): Promise<string[]> {
    const licences = principal.qualifications
      .filter((q) => q.type === LICENCE && (q.validUntil === undefined || q.validUntil > now))
      .map((q) => q.value);
    if (licences.length === 0) return [];
    const key = `${principal.orgId}\u0000${licences.join('\u0000')}`;
    const known = this.practitioners.get(key);
    if (known !== undefined && known.until > now) return known.value;
    const ids = new Set<string>();
    for (const licence of licences)
      for (const id of await practitionersWithIdentifier(this.records, principal.orgId, licence)) ids.add(id);
    const value = [...ids];
    this.practitioners.set(key, { value, until: now + TTL_MS });
    return value;
  }
}
