/**
 * The data passport of a dataset (seed 002 §7.2.3): its chain of custody from the sources it was
 * derived from, through each transformation, to every release made from it, each step a ledger
 * entry that can be proven.
 */
import type { DatasetEventEntry } from './entry.js';
import type { Ledger, StoredEntry } from './ledger.js';
import { toBase64 } from './primitives.js';

export interface PassportEvent {
  index: number;
  stage: DatasetEventEntry['stage'];
  actor: string;
  organization: string;
  time: number;
  purpose?: string;
  recipient?: string;
  leafHash: string;
}

export interface PassportDataset {
  dataset: string;
  /** Its datasets of origin. */
  derivedFrom: string[];
  /** Datasets made from it. */
  derivatives: string[];
  events: PassportEvent[];
}

export interface DataPassport {
  dataset: string;
  /** Sources first, then each derivation, in the order they were first recorded. */
  chain: PassportDataset[];
  /** Every release and transmission on the chain, in log order. */
  releases: (PassportEvent & { dataset: string })[];
  /** True when the walk stopped at `maxDatasets`. */
  truncated: boolean;
}

async function eventsOf(ledger: Ledger, subject: string): Promise<StoredEntry[]> {
  const all: StoredEntry[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await ledger.query({ subject, limit: 1000, ...(after === undefined ? {} : { after }) });
    all.push(...page.entries);
    if (page.next === undefined) return all;
    after = page.next;
  }
}

const asPassportEvent = (s: StoredEntry & { entry: DatasetEventEntry }): PassportEvent => ({
  index: s.index,
  stage: s.entry.stage,
  actor: s.entry.actor,
  organization: s.entry.organization,
  time: s.entry.time,
  ...(s.entry.purpose ? { purpose: s.entry.purpose } : {}),
  ...(s.entry.recipient ? { recipient: s.entry.recipient } : {}),
  leafHash: toBase64(s.leafHash),
});

const isDatasetEvent = (s: StoredEntry): s is StoredEntry & { entry: DatasetEventEntry } =>
  s.entry.kind === 'dataset-event';

export async function dataPassport(
  ledger: Ledger,
  dataset: string,
  options: { maxDatasets?: number } = {},
): Promise<DataPassport> {
  const max = options.maxDatasets ?? 500;
  const nodes = new Map<string, PassportDataset>();
  let truncated = false;
  const load = async (id: string): Promise<PassportDataset> => {
    const known = nodes.get(id);
    if (known) return known;
    const own = (await eventsOf(ledger, `dataset:${id}`))
      .filter(isDatasetEvent)
      .filter((s) => s.entry.dataset === id);
    const children = (await eventsOf(ledger, `source:${id}`))
      .filter(isDatasetEvent)
      .map((s) => s.entry.dataset);
    const node: PassportDataset = {
      dataset: id,
      derivedFrom: [...new Set(own.flatMap((s) => s.entry.derivedFrom))],
      derivatives: [...new Set(children)].filter((c) => c !== id),
      events: own.map(asPassportEvent),
    };
    nodes.set(id, node);
    return node;
  };
  // Walk up to the sources and down to the releases, never sideways into siblings.
  const walk = async (start: string, next: (n: PassportDataset) => string[]) => {
    const queue = [start];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      if (nodes.size >= max && !nodes.has(id)) {
        truncated = true;
        return;
      }
      seen.add(id);
      queue.push(...next(await load(id)));
    }
  };
  await walk(dataset, (n) => n.derivedFrom);
  await walk(dataset, (n) => n.derivatives);
  const firstIndex = (n: PassportDataset) => n.events[0]?.index ?? Number.MAX_SAFE_INTEGER;
  const chain = [...nodes.values()].sort((a, b) => firstIndex(a) - firstIndex(b));
  const releases = chain
    .flatMap((n) =>
      n.events
        .filter((e) => e.stage === 'release' || e.stage === 'transmission')
        .map((e) => ({ ...e, dataset: n.dataset })),
    )
    .sort((a, b) => a.index - b.index);
  return { dataset, chain, releases, truncated };
}
