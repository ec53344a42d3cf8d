import { LruCache, type Clock } from '../core/index.js';
import type { Principal } from '../identity/index.js';
import { caresFor, linkedPatientKeys, practitionersWithIdentifier, type Records } from '../records/index.js';

/** Where care relationships come from (see `CareTeam`). */
export const CARE_SOURCES = ['records', 'organization'] as const;
export type CareSource = (typeof CARE_SOURCES)[number];

/** Roles that give care. */
const CARERS = ['clinician', 'nurse'] as const;

/** The qualification whose value is the user's Practitioner identifier (执业证书编号). */
const LICENCE = 'practising-licence';

/**
 * How long an answer is reused. A new Encounter makes a relationship within this time in other
 * processes (this one forgets at once, see `forget`); a relationship never ends sooner than it.
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

  constructor(
    private readonly records: Records,
    private readonly clock: Clock,
    private readonly source: CareSource = 'records',
  ) {}

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
    const practitioners = await this.practitionersOf(principal, now);
    const value =
      practitioners.length > 0 &&
      (await caresFor(this.records, practitioners, await linkedPatientKeys(this.records, patientKey)));
    this.answers.set(key, { value, until: now + TTL_MS });
    return value;
  }

  /** Forgets what was remembered (a write in this process may have made a relationship). */
  forget(): void {
    this.answers.clear();
    this.practitioners.clear();
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
