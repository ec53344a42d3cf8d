/**
 * A bounded memo for operators whose result depends only on the value (pseudonyms, hierarchy
 * lookups) or on the patient (date shifts). Tables repeat values: a patient's rows, a ward's
 * codes. Two generations of at most `limit` entries each: when the young one fills, it becomes
 * the old one and the previous old one is dropped, and a hit in the old one moves up. That is an
 * approximate LRU with O(1) work and memory capped at 2 × `limit` entries, however large the input.
 *
 * A lookup that misses costs about as much as a third of an HMAC, so when values do not repeat
 * (one row per patient) the memo steps aside: after a window of `WINDOW` lookups with fewer than
 * one hit in 16, it is bypassed for the next `PAUSE` calls, then samples again.
 */
const WINDOW = 2048;
const PAUSE = 32_768;

export class BoundedMemo<V> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  #lookups = 0;
  #hits = 0;
  #paused = 0;

  constructor(readonly limit = 32_768) {}

  get(key: string): V | undefined {
    if (this.#paused > 0) {
      this.#paused--;
      return undefined;
    }
    if (++this.#lookups === WINDOW) {
      if (this.#hits * 16 < WINDOW) this.#paused = PAUSE;
      this.#lookups = 0;
      this.#hits = 0;
    }
    let hit = this.#young.get(key);
    if (hit === undefined) {
      hit = this.#old.get(key);
      if (hit !== undefined) this.#store(key, hit);
    }
    if (hit !== undefined) this.#hits++;
    return hit;
  }

  /** Remembers a result; ignored while the memo is bypassed. */
  set(key: string, value: V): void {
    if (this.#paused === 0) this.#store(key, value);
  }

  #store(key: string, value: V): void {
    if (this.#young.size >= this.limit) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
