import { LruCache, type Clock } from '../core/index.js';
import type { Principal } from '../identity/index.js';
import { ownPatientId } from '../policy/index.js';
import { linkedPatientKeys, type Records } from '../records/index.js';

/**
 * How long a patient's set of records is kept: a record linked by another process meanwhile is
 * theirs within this (guard's own writes of a Patient empty it: `forget`).
 */
const KEPT_MS = 60_000;

/**
 * A patient's own records: the Patient record their account is linked to, and those the patient
 * index (统一调阅编码) links to it, the same person at other hospitals. A patient reads, searches
 * and follows the access log of all of them as their own (seed 003 §三: one lookup code across
 * institutions; seed 002 §7.3.3: patients see how their data is used).
 */
export class OwnRecords {
  private readonly kept: LruCache<string, readonly string[]>;

  constructor(
    private readonly records: Records,
    clock: Clock,
  ) {
    this.kept = new LruCache(4096, KEPT_MS, () => clock.now());
  }

  /** A Patient was written: the patient index may link records anew. */
  forget(): void {
    this.kept.clear();
  }

  /** The patient keys the principal reads as their own: none unless a patient linked to a record. */
  async keysOf(principal: Principal): Promise<readonly string[]> {
    const id = ownPatientId(principal);
    if (id === undefined) return [];
    let keys = this.kept.get(id);
    if (keys === undefined) this.kept.set(id, (keys = await linkedPatientKeys(this.records, id)));
    return keys;
  }
}
