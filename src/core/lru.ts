import { LRUCache } from 'lru-cache';

/**
 * A bounded least-recently-used map with an optional time to live. The recency bookkeeping is
 * lru-cache's (index arrays, no allocation or rehashing on a hit: a read by id probes several of
 * these caches, and a Map re-inserted on every hit cost ~250 ns a probe against ~50 here). The
 * expiry is kept here, against the injected clock, so that a test clock starting at 0 works.
 */
export class LruCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<K, { value: V; expiresAt: number }> | undefined;

  constructor(
    readonly capacity: number,
    private readonly ttlMs: number = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {
    if (!(capacity >= 0)) throw new RangeError('capacity must be >= 0');
    this.entries = capacity > 0 ? new LRUCache({ max: capacity }) : undefined;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(key: K): V | undefined {
    const entry = this.entries?.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= this.now()) {
      this.entries!.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.entries?.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  delete(key: K): boolean {
    return this.entries?.delete(key) ?? false;
  }

  clear(): void {
    this.entries?.clear();
  }
}
