import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { TenantId } from '../core/index.js';
import type { TenantIndexer } from '../crypto/index.js';
import type { ParsedSearch } from '../fhir/index.js';
import {
  planSearch,
  type Condition,
  type Filter,
  type SearchPlan,
  type SearchScope,
  type Slot,
} from './search-plan.js';
import type { RecordsTables } from './tables.js';

export type { SearchScope } from './search-plan.js';

type Db = Kysely<RecordsTables>;
type Query = SelectQueryBuilder<RecordsTables, 'rec_resource', object>;
/** What goes where a slot is: the value itself, or a prepared query's placeholder for it. */
export type Bind = (slot: Slot) => never;
/** Conditions name their columns as strings (fixed names chosen by the plan), hence one loose builder type. */
type AnyEb = ExpressionBuilder<Record<string, Record<string, unknown>>, string>;

/**
 * The current, undeleted resources of a search, as a query over `rec_resource` that the caller
 * selects from, counts or pages. Each criterion is an `id IN (…rec_search…)` filter (criteria
 * AND, comma-separated values OR); identifying values are turned into blind indexes first, so
 * the database is only ever asked about keyed tokens.
 */
export function matchingResources(
  db: Db,
  tenant: TenantId,
  search: ParsedSearch,
  indexer: TenantIndexer,
  scope: SearchScope,
): Query {
  const plan = planSearch(tenant, search, indexer, scope);
  return planQuery(db, plan, (slot) => plan.values[slot] as never);
}

/** The query of a plan, with `bind` putting each slot's value (or placeholder) in place. */
export function planQuery(db: Db, plan: SearchPlan, bind: Bind): Query {
  let query: Query = db
    .selectFrom('rec_resource')
    .where('tenant_id', '=', bind(plan.tenant))
    .where('resource_type', '=', bind(plan.resourceType))
    .where('method', '!=', 'DELETE');
  for (const [column, slots] of [
    ['org_id', plan.orgIds],
    ['patient_key', plan.patientKeys],
  ] as const) {
    if (slots === undefined) continue;
    // An empty scope matches nothing (an IN () would be a syntax error).
    query = query.where(slots.length === 0 ? sql<boolean>`1 = 0` : (eb) => eb(column, 'in', slots.map(bind)));
  }
  for (const filter of plan.filters) query = query.where((eb) => filterOf(eb, db, plan, filter, bind));
  return query;
}

function filterOf(
  eb: ExpressionBuilder<RecordsTables, 'rec_resource'>,
  db: Db,
  plan: SearchPlan,
  filter: Filter,
  bind: Bind,
) {
  if (filter.on === 'resource') return conditionOf(eb as unknown as AnyEb, filter.where, bind);
  const indexed = db
    .selectFrom('rec_search')
    .select('resource_id')
    .where('tenant_id', '=', bind(plan.tenant))
    .where('resource_type', '=', bind(plan.resourceType))
    .where('param', '=', bind(filter.param))
    .where((s) => conditionOf(s as unknown as AnyEb, filter.where, bind));
  return eb('id', 'in', indexed);
}

function conditionOf(eb: AnyEb, c: Condition, bind: Bind): ReturnType<AnyEb['and']> {
  switch (c.op) {
    case 'const':
      // A literal, not a bound boolean (SQLite binds no booleans).
      return eb.and([sql<boolean>`${sql.lit(c.value ? 1 : 0)} = 1`]);
    case 'and':
      return eb.and(c.parts.map((p) => conditionOf(eb, p, bind)));
    case 'or':
      return eb.or(c.parts.map((p) => conditionOf(eb, p, bind)));
    case 'in':
      return eb.and([eb(c.column, 'in', c.slots.map(bind))]);
    default:
      return eb.and([eb(c.column, c.op, bind(c.slot))]);
  }
}
