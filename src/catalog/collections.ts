import { systemClock, type Clock } from '../core/index.js';
import { getScheme } from '../classify/index.js';
import type { Catalog } from './service.js';

/**
 * What the clinical store tells the catalog about its collections. The catalog does not read the
 * store's tables itself: `app` wires the store's queries in (dependencies point one way).
 */
export interface CollectionSource {
  /** Each resource type that has stored resources, with the time (epoch ms) of its latest write. */
  lastChanges(): Promise<Map<string, number>>;
  /** The resources of a type that are not deleted, counted per stored grade (`<scheme>:<grade>`). */
  gradeCounts(resourceType: string): Promise<Map<string, number>>;
}

export interface CollectionSyncReport {
  /** Resource types whose latest write was looked at. */
  checked: number;
  /** Resource types recounted (changed since the last refresh, or forced). */
  recounted: string[];
  /** Resources of the recounted types whose stored grade is not of the tenant's scheme yet (a relabelling is due or running). */
  pendingRelabel: number;
  at: number;
}

/**
 * Keeps the catalog's FHIR collection assets (`fhir:<Type>`) current: volume, records per grade and
 * sensitivity. Nothing is added to the write path: a refresh first asks the store for each type's
 * latest write time (index lookups only) and recounts only the types that changed since. Refreshes
 * run periodically in the server and before the catalog is read; concurrent callers share one.
 */
export class CollectionSync {
  private readonly seen = new Map<string, number>();
  private schemeSeen: string | undefined;
  private running: Promise<CollectionSyncReport> | undefined;
  private queued: Promise<CollectionSyncReport> | undefined;
  private queuedForce = false;
  private last: CollectionSyncReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly catalog: Catalog,
    private readonly tenant: string,
    private readonly source: CollectionSource,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** The last finished refresh. */
  get lastReport(): CollectionSyncReport | undefined {
    return this.last;
  }

  /**
   * Brings the collection assets up to date. With `force`, every type is recounted (after a
   * relabelling, which changes grades without changing write times). A call made while a refresh
   * runs waits for it and then joins one more run, so what was written before the call is counted.
   */
  refresh(options: { force?: boolean } = {}): Promise<CollectionSyncReport> {
    const force = options.force ?? false;
    if (!this.running) return this.launch(force);
    this.queuedForce ||= force;
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        const f = this.queuedForce;
        this.queued = undefined;
        this.queuedForce = false;
        return this.launch(f);
      });
    return this.queued;
  }

  private launch(force: boolean): Promise<CollectionSyncReport> {
    const run: Promise<CollectionSyncReport> = this.run(force)
      .then((report) => (this.last = report))
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }

  /** Refreshes every `intervalMs` (timer unref'd) until `stop`; failures go to `onError`. */
  start(intervalMs: number, onError: (e: unknown) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      this.refresh().catch(onError);
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.queued?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  private async run(force: boolean): Promise<CollectionSyncReport> {
    const schemeId = await this.catalog.tenantScheme(this.tenant);
    if (schemeId !== this.schemeSeen) force = true;
    const scheme = getScheme(schemeId);
    const validGrades = new Set(scheme.grades.map((g) => g.id));
    const prefix = `${schemeId}:`;
    const changes = await this.source.lastChanges();
    const recounted: string[] = [];
    let pendingRelabel = 0;
    for (const [type, lastWrite] of changes) {
      if (!force && this.seen.get(type) === lastWrite) continue;
      const counts = await this.source.gradeCounts(type);
      let total = 0;
      const grades: Record<string, number> = {};
      for (const [token, n] of counts) {
        total += n;
        const grade = token.startsWith(prefix) ? token.slice(prefix.length) : undefined;
        if (grade !== undefined && validGrades.has(grade)) grades[grade] = (grades[grade] ?? 0) + n;
        else pendingRelabel += n;
      }
      await this.catalog.upsertCollectionVolume(this.tenant, type, total, grades);
      this.seen.set(type, lastWrite);
      recounted.push(type);
    }
    this.schemeSeen = schemeId;
    return { checked: changes.size, recounted, pendingRelabel, at: this.clock.now() };
  }
}
