import type { TenantId } from '../core/index.js';
import type { TenantIndexer } from '../crypto/index.js';
import type { ParsedSearch, RangePredicate, SearchCriterion } from '../fhir/index.js';
import { blindIndexOf } from './index-rows.js';

/** Which organizations' resources a search may return (undefined: every organization of the tenant). */
export interface SearchScope {
  /** Absent: every organization of the tenant; empty: none. */
  orgIds?: readonly string[];
  /** Absent: any patient's records; else only these patients' (a patient's own search). */
  patientKeys?: readonly string[];
}

/** Where a value goes in a search query: an index into `SearchPlan.values`. */
export type Slot = number;

/** A condition over the columns of one table (`rec_resource` or `rec_search`), values in slots. */
export type Condition =
  | { op: '=' | '>=' | '>' | '<' | '<='; column: string; slot: Slot }
  | { op: 'in'; column: string; slots: Slot[] }
  | { op: 'and' | 'or'; parts: Condition[] }
  | { op: 'const'; value: boolean };

/** One criterion: a condition on the resource row itself, or on its search index rows. */
export type Filter = { on: 'resource'; where: Condition } | { on: 'index'; param: Slot; where: Condition };

/**
 * A search as plain data: the query's structure with every value replaced by a slot, and the
 * values apart. Searches of one shape (say, Observations of some patient) give the same structure
 * and differ only in values, so the SQL is built and compiled once per shape (`shape` is the key)
 * and run with each search's values. Identifying values are blind-indexed here already.
 */
export interface SearchPlan {
  shape: string;
  values: unknown[];
  tenant: Slot;
  resourceType: Slot;
  /** Absent: every organization of the tenant; empty: none. */
  orgIds: Slot[] | undefined;
  /** Absent: any patient; empty: none. */
  patientKeys: Slot[] | undefined;
  filters: Filter[];
}

export function planSearch(
  tenant: TenantId,
  search: ParsedSearch,
  indexer: TenantIndexer,
  scope: SearchScope,
): SearchPlan {
  const values: unknown[] = [];
  const slot = (value: unknown): Slot => values.push(value) - 1;
  const plan = {
    tenant: slot(tenant),
    resourceType: slot(search.resourceType),
    orgIds: scope.orgIds?.map(slot),
    patientKeys: scope.patientKeys?.map(slot),
    filters: search.criteria.map((c) => criterionFilter(c, slot, indexer)),
  };
  // Slots are numbered in the order values are met, so one structure always numbers them alike.
  return { ...plan, shape: JSON.stringify(plan), values };
}

function criterionFilter(c: SearchCriterion, slot: (v: unknown) => Slot, indexer: TenantIndexer): Filter {
  if (c.param === '_id' && c.kind === 'token') {
    const ids = c.values.flatMap((v) => (v.code === undefined ? [] : [slot(v.code)]));
    return { on: 'resource', where: ids.length === 0 ? FALSE : { op: 'in', column: 'id', slots: ids } };
  }
  if (c.param === '_lastUpdated' && c.kind === 'date') {
    const ranges = c.values.flatMap((v) =>
      v.predicates.map((p) => range('last_updated', 'last_updated', p, true, slot)),
    );
    return { on: 'resource', where: any(ranges) };
  }
  return { on: 'index', param: slot(c.param), where: indexCondition(c, slot, indexer) };
}

function indexCondition(c: SearchCriterion, slot: (v: unknown) => Slot, indexer: TenantIndexer): Condition {
  const eq = (column: string, value: unknown): Condition => ({ op: '=', column, slot: slot(value) });
  switch (c.kind) {
    case 'token':
      return any(
        c.values.map((v) => {
          const parts = [];
          if (v.code !== undefined) parts.push(eq('value', v.code));
          if (v.noSystem) parts.push(eq('system', ''));
          else if (v.system !== undefined) parts.push(eq('system', v.system));
          return all(parts);
        }),
      );
    case 'identifier':
      return any(
        c.values.flatMap((v) => {
          const blind = blindIndexOf(indexer, 'identifier', v.value);
          if (blind === undefined) return [];
          return [all([eq('value', blind), ...(v.system === undefined ? [] : [eq('system', v.system)])])];
        }),
      );
    case 'name':
    case 'phone': {
      const kind = c.kind;
      const blinds = c.values.flatMap((v) => blindIndexOf(indexer, kind, v) ?? []);
      return blinds.length === 0 ? FALSE : { op: 'in', column: 'value', slots: blinds.map(slot) };
    }
    case 'reference':
      return any(c.values.map((v) => all([eq('value', v.id), eq('system', v.type)])));
    case 'date':
      return any(c.values.flatMap((v) => v.predicates.map((p) => range('low', 'high', p, false, slot))));
  }
}

/**
 * One range predicate over a stored [low, high). For `_lastUpdated` the stored value is an
 * instant t, i.e. the range [t, t + 1).
 */
function range(
  low: string,
  high: string,
  p: RangePredicate,
  instant: boolean,
  slot: (v: unknown) => Slot,
): Condition {
  const parts: Condition[] = [];
  if (p.lowGe !== undefined) parts.push({ op: '>=', column: low, slot: slot(p.lowGe) });
  if (p.lowLt !== undefined) parts.push({ op: '<', column: low, slot: slot(p.lowLt) });
  if (p.highGt !== undefined) parts.push({ op: instant ? '>=' : '>', column: high, slot: slot(p.highGt) });
  if (p.highLe !== undefined) parts.push({ op: instant ? '<' : '<=', column: high, slot: slot(p.highLe) });
  return all(parts);
}

const FALSE: Condition = { op: 'const', value: false };
const TRUE: Condition = { op: 'const', value: true };

/** AND of the parts: true when there are none, the part itself when there is one. */
const all = (parts: Condition[]): Condition =>
  parts.length === 0 ? TRUE : parts.length === 1 ? parts[0]! : { op: 'and', parts };

/** OR of the parts: false when there are none. */
const any = (parts: Condition[]): Condition =>
  parts.length === 0 ? FALSE : parts.length === 1 ? parts[0]! : { op: 'or', parts };
