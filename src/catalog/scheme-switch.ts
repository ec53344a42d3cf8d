import { conflict, systemClock, uuidv7, type Clock } from '../core/index.js';
import { getScheme, type GradingScheme } from '../classify/index.js';
import type { CollectionSync } from './collections.js';
import type { Catalog } from './service.js';

/** What a relabelling pass over the stored resources did. */
export interface RelabelReport {
  /** Current versions looked at. */
  scanned: number;
  /** Resealed with new labels or a new grade. */
  relabelled: number;
  /** Already labelled as the scheme says. */
  unchanged: number;
  /** Changed by a write meanwhile (that write labelled them under the new scheme). */
  skipped: number;
  /** Of erased patients: their data key is destroyed, nothing can be opened or relabelled. */
  erased: number;
  /** Could not be opened (integrity failure): `Type/id` references, at most 100. */
  failed: string[];
  batches: number;
}

export interface RelabelProgress {
  scanned: number;
  relabelled: number;
}

/** The clinical store's relabelling pass, as `app` wires it in (records' `relabelResources`). */
export type RelabelRun = (
  scheme: GradingScheme,
  options: {
    /** Every resource, not only those whose stored grade is of another scheme. */
    all: boolean;
    /** After each committed batch, with the `Type/id` references relabelled in it. */
    onBatch: (resources: string[]) => Promise<void>;
    onProgress?: (p: RelabelProgress) => void;
    /** Aborted when the process shuts down: the pass stops after its current batch. */
    signal?: AbortSignal;
  },
) => Promise<RelabelReport>;

export interface RelabelJob {
  id: string;
  scheme: string;
  previousScheme: string;
  all: boolean;
  state: 'running' | 'done' | 'failed';
  startedAt: number;
  startedBy: string;
  finishedAt?: number;
  progress: RelabelProgress;
  report?: RelabelReport;
  error?: { message: string; zh?: string };
}

export interface SchemeControlOptions {
  catalog: Catalog;
  tenant: string;
  collections: CollectionSync;
  /** Makes the store label new writes under the scheme (before the pass starts). */
  useScheme: (scheme: GradingScheme) => void;
  relabel: RelabelRun;
  clock?: Clock;
}

/**
 * Switching a tenant's grading scheme: the choice is stored per tenant, new writes are labelled
 * under it at once, and a background pass relabels what is stored, in batches. The pass only
 * visits resources whose stored grade is of another scheme, so running it again (after a crash,
 * or with the same scheme) finishes what is left. One pass at a time.
 */
export class SchemeControl {
  private current: RelabelJob | undefined;
  private running: Promise<RelabelJob> | undefined;
  private readonly abort = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: SchemeControlOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The tenant's scheme and who chose it (absent when it is the configured default). */
  async scheme(): Promise<{
    scheme: GradingScheme;
    chosen?: { updatedAt: number; updatedBy: string };
  }> {
    const { catalog, tenant } = this.options;
    const stored = await catalog.storedScheme(tenant);
    const scheme = getScheme(await catalog.tenantScheme(tenant));
    return stored
      ? { scheme, chosen: { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } }
      : { scheme };
  }

  /** The running or last relabelling pass of this process. */
  job(): RelabelJob | undefined {
    return this.current && structuredClone(this.current);
  }

  /**
   * Chooses `schemeId` for the tenant and starts relabelling. Resolves once the choice is stored
   * and the pass has started; `done` resolves when it has finished (it never rejects: a failure is
   * in the job). An unknown scheme is refused naming the valid ones; a running pass is a 409.
   */
  async switchTo(
    schemeId: string,
    actor: string,
    options: { all?: boolean; onBatch?: (resources: string[]) => Promise<void> } = {},
  ): Promise<{ job: RelabelJob; done: Promise<RelabelJob> }> {
    const scheme = getScheme(schemeId);
    if (this.current?.state === 'running')
      throw conflict(`a relabelling to ${this.current.scheme} is still running`, {
        zh: `分级方案 ${this.current.scheme} 的重新标注仍在进行中`,
        hint: 'wait until it has finished (GET /admin/grading-scheme), then try again',
        extensions: { job: this.current.id },
      });
    const { catalog, tenant } = this.options;
    const previousScheme = await catalog.tenantScheme(tenant);
    const now = this.clock.now();
    const job: RelabelJob = {
      id: uuidv7(now),
      scheme: scheme.id,
      previousScheme,
      all: options.all ?? false,
      state: 'running',
      startedAt: now,
      startedBy: actor,
      progress: { scanned: 0, relabelled: 0 },
    };
    this.current = job;
    try {
      await catalog.setTenantScheme(tenant, scheme.id, actor);
      this.options.useScheme(scheme);
    } catch (e) {
      this.current = undefined;
      throw e;
    }
    const done = this.run(job, scheme, options.onBatch ?? (async () => undefined));
    this.running = done;
    return { job: structuredClone(job), done };
  }

  /** Stops a running pass after its current batch (at shutdown) and waits for it. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(
    job: RelabelJob,
    scheme: GradingScheme,
    onBatch: (resources: string[]) => Promise<void>,
  ): Promise<RelabelJob> {
    try {
      job.report = await this.options.relabel(scheme, {
        all: job.all,
        onBatch,
        onProgress: (p) => (job.progress = { ...p }),
        signal: this.abort.signal,
      });
      job.progress = { scanned: job.report.scanned, relabelled: job.report.relabelled };
      if (this.abort.signal.aborted) throw new Error('stopped at shutdown; set the scheme again to finish');
      await this.options.collections.refresh({ force: true });
      job.state = 'done';
    } catch (e) {
      const err = e as { message?: string; zh?: string };
      job.state = 'failed';
      job.error = { message: err.message ?? String(e), ...(err.zh ? { zh: err.zh } : {}) };
    }
    job.finishedAt = this.clock.now();
    return structuredClone(job);
  }
}
