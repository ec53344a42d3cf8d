/**
 * One person's consent across the hospitals that keep their records. The patient index
 * (统一调阅编码) links the Patient records two hospitals keep of the same person. Each record has
 * its consent, but the person is one: their rules, on whichever record they were made (through
 * the account either hospital linked to its record, or imported with its records), are evaluated
 * together for each of their records, with the precedence that holds within one consent (the
 * specific over the general, then deny over grant). A withdrawal made at one hospital thus
 * reaches the copies at the others (PIPL Art. 15: withdrawing is as easy as consenting), and a
 * grant reaches them too unless a rule as specific refuses there.
 */
import { LruCache, type Clock } from '../core/index.js';
import { CompiledConsent } from './evaluate.js';

/** The Patient records of the same person as this one (the patient index); this one may be among them. */
export type LinkedRecordsSource = (patient: string) => Promise<readonly string[]>;

/** How long a person's set of records is kept: a record linked meanwhile counts within this. */
const KEPT_MS = 60_000;

interface Merged {
  /** The compiled consents of the record and its linked records, in that order, merged from. */
  members: readonly CompiledConsent[];
  person: CompiledConsent;
}

/**
 * Each record's other records, looked up once a minute, and the person's consent compiled from
 * the compiled consents of all of them: rebuilt when any of those is replaced (a change, or a
 * reload after its time to live).
 */
export class SamePerson {
  private readonly linked: LruCache<string, readonly string[]>;
  private readonly merged: LruCache<string, Merged>;

  constructor(
    private readonly source: LinkedRecordsSource,
    clock: Clock,
    capacity = 10_000,
  ) {
    this.linked = new LruCache(capacity, KEPT_MS, () => clock.now());
    this.merged = new LruCache(capacity);
  }

  /** The record's other records, if known without a lookup. */
  othersCached(patient: string): readonly string[] | undefined {
    return this.linked.get(patient);
  }

  /**
   * The patient index may have linked records (a Patient was written here): every record's set
   * is looked up again, so that rules on a newly linked record decide at once rather than within
   * the minute. Writes by another process still count within the minute.
   */
  forgetLinks(): void {
    this.linked.clear();
  }

  async others(patient: string): Promise<readonly string[]> {
    let others = this.linked.get(patient);
    if (others === undefined) {
      others = (await this.source(patient)).filter((p) => p !== patient);
      this.linked.set(patient, others);
    }
    return others;
  }

  /**
   * The consent that decides for `patient`'s record: its own when no other record of the person
   * has a rule, otherwise the person's (their rules together). Decisions carry the version of
   * the record's own consent.
   */
  consentOf(patient: string, own: CompiledConsent, others: readonly CompiledConsent[]): CompiledConsent {
    if (others.every((o) => o.consent.rules.length === 0)) return own;
    const members = [own, ...others];
    const hit = this.merged.get(patient);
    if (hit && hit.members.length === members.length && hit.members.every((m, i) => m === members[i]))
      return hit.person;
    const person = new CompiledConsent(own.scheme, {
      ...own.consent,
      rules: [
        ...own.consent.rules,
        ...others.flatMap((o) => o.consent.rules.map((r) => ({ ...r, linkedRecord: o.consent.patient }))),
      ],
    });
    this.merged.set(patient, { members, person });
    return person;
  }
}
