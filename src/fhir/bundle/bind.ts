import { badRequest, type CustodiaError } from '../../core/index.js';
import { ISSUES_EXTENSION, issue } from '../validation/issues.js';
import type { BundlePlan, PlannedEntry } from './plan.js';

export interface PlanResolution {
  /** Conditional creates that matched an existing resource: entry index → that resource's id. */
  matched?: ReadonlyMap<number, string>;
  /** Conditional references the store resolved: the reference as written → the id it found. */
  conditionalReferences?: ReadonlyMap<string, string>;
}

/** A create whose condition matched: nothing is written, the response points at the match. */
export interface MatchedEntry {
  op: 'matched';
  index: number;
  fullUrl?: string;
  resourceType: string;
  id: string;
}

export type BoundEntry = PlannedEntry | MatchedEntry;

export interface BoundPlan {
  kind: BundlePlan['kind'];
  entries: BoundEntry[];
  size: number;
}

const notFound = (index: number, reference: string): CustodiaError =>
  badRequest(`Bundle.entry[${index}].resource: no resource matches the conditional reference ${reference}`, {
    zh: `Bundle.entry[${index}].resource：没有资源符合条件引用 ${reference}`,
    path: `Bundle.entry[${index}].resource`,
    hint: 'Create the referenced resource first, or include it in the same transaction',
    extensions: {
      [ISSUES_EXTENSION]: [
        issue(
          'not-found',
          `Bundle.entry[${index}].resource`,
          `No resource matches the conditional reference ${reference}`,
          `没有资源符合条件引用 ${reference}`,
        ),
      ],
    },
  });

/**
 * Applies what the store found to a plan: matched creates become `matched`, and every reference
 * in every resource is rewritten to `Type/id`: urn:uuid and fullUrl references to the id the
 * target got (or the match it resolved to), conditional references to what they matched, and
 * absolute references under the server's base to relative ones.
 *
 * A conditional reference without a match fails the transaction (400, nothing written), or in a
 * batch only the entries that carry it.
 */
export function bindPlan(plan: BundlePlan, resolution: PlanResolution = {}): BoundPlan {
  const matched = resolution.matched ?? new Map<number, string>();
  const targets = new Map<string, string>();
  for (const [fullUrl, t] of plan.fullUrls) targets.set(fullUrl, `${t.type}/${matched.get(t.index) ?? t.id}`);
  for (const [reference, id] of resolution.conditionalReferences ?? []) {
    targets.set(reference, `${reference.slice(0, reference.indexOf('?'))}/${id}`);
  }
  const base = plan.baseUrl === undefined ? undefined : `${plan.baseUrl}/`;

  const entries: BoundEntry[] = [];
  for (const entry of plan.entries) {
    if (entry.op === 'create' && matched.has(entry.index)) {
      const m: MatchedEntry = {
        op: 'matched',
        index: entry.index,
        resourceType: entry.resourceType,
        id: matched.get(entry.index)!,
      };
      entries.push(entry.fullUrl === undefined ? m : { ...m, fullUrl: entry.fullUrl });
      continue;
    }
    if (entry.op !== 'create' && entry.op !== 'update') {
      entries.push(entry);
      continue;
    }
    let failure: CustodiaError | undefined;
    for (const slot of entry.references) {
      const ref = slot.reference;
      const target = targets.get(ref);
      if (target !== undefined) slot.holder['reference'] = target;
      else if (base !== undefined && ref.startsWith(base)) slot.holder['reference'] = ref.slice(base.length);
      else if (/^[A-Z][A-Za-z]+\?/.test(ref)) failure ??= notFound(entry.index, ref);
    }
    if (failure === undefined) entries.push(entry);
    else if (plan.kind === 'transaction') throw failure;
    else entries.push({ op: 'failed', index: entry.index, error: failure });
  }
  return { kind: plan.kind, entries, size: plan.size };
}
