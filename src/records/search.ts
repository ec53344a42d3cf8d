import { sql, type ExpressionBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { TenantId } from '../core/index.js';
import type { TenantIndexer } from '../crypto/index.js';
import type { ParsedSearch, RangePredicate, SearchCriterion } from '../fhir/index.js';
import { blindIndexOf } from './index-rows.js';
import type { RecordsTables } from './tables.js';

/** Which organizations' resources a search may return (undefined: every organization of the tenant). */
export interface SearchScope {
  orgIds?: readonly string[];
}

type Db = Kysely<RecordsTables>;
type Query = SelectQueryBuilder<RecordsTables, 'rec_resource', object>;
type Eb = ExpressionBuilder<RecordsTables, 'rec_resource'>;
type SearchEb = ExpressionBuilder<RecordsTables, 'rec_search'>;

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
  let query: Query = db
    .selectFrom('rec_resource')
    .where('tenant_id', '=', tenant)
    .where('resource_type', '=', search.resourceType)
    .where('method', '!=', 'DELETE');
  if (scope.orgIds !== undefined) {
    // An empty scope matches nothing (an IN () would be a syntax error).
    query =
      scope.orgIds.length === 0
        ? query.where(sql<boolean>`1 = 0`)
        : query.where('org_id', 'in', [...scope.orgIds]);
  }
  for (const criterion of search.criteria) {
    query = query.where((eb) => criterionFilter(eb, db, tenant, search.resourceType, criterion, indexer));
  }
  return query;
}

function criterionFilter(
  eb: Eb,
  db: Db,
  tenant: TenantId,
  type: string,
  c: SearchCriterion,
  indexer: TenantIndexer,
) {
  if (c.param === '_id' && c.kind === 'token') {
    const ids = c.values.flatMap((v) => (v.code === undefined ? [] : [v.code]));
    return ids.length === 0 ? eb.val(false) : eb('id', 'in', ids);
  }
  if (c.param === '_lastUpdated' && c.kind === 'date') {
    return eb.or(
      c.values.flatMap((v) =>
        v.predicates.map((p) => rangeOn(eb, 'last_updated', 'last_updated', p, /* instant */ true)),
      ),
    );
  }
  const indexed = db
    .selectFrom('rec_search')
    .select('resource_id')
    .where('tenant_id', '=', tenant)
    .where('resource_type', '=', type)
    .where('param', '=', c.param)
    .where((s) => valueFilter(s, c, indexer));
  return eb('id', 'in', indexed);
}

function valueFilter(s: SearchEb, c: SearchCriterion, indexer: TenantIndexer) {
  switch (c.kind) {
    case 'token':
      return s.or(
        c.values.map((v) => {
          const parts = [];
          if (v.code !== undefined) parts.push(s('value', '=', v.code));
          if (v.noSystem) parts.push(s('system', '=', ''));
          else if (v.system !== undefined) parts.push(s('system', '=', v.system));
          return parts.length === 0 ? s.val(true) : s.and(parts);
        }),
      );
    case 'identifier':
      return s.or(
        c.values.flatMap((v) => {
          const blind = blindIndexOf(indexer, 'identifier', v.value);
          if (blind === undefined) return [];
          return [
            v.system === undefined
              ? s('value', '=', blind)
              : s.and([s('value', '=', blind), s('system', '=', v.system)]),
          ];
        }),
      );
    case 'name':
    case 'phone': {
      const kind = c.kind;
      const blinds = c.values.flatMap((v) => blindIndexOf(indexer, kind, v) ?? []);
      return blinds.length === 0 ? s.val(false) : s('value', 'in', blinds);
    }
    case 'reference':
      return s.or(c.values.map((v) => s.and([s('value', '=', v.id), s('system', '=', v.type)])));
    case 'date':
      return s.or(c.values.flatMap((v) => v.predicates.map((p) => rangeOn(s, 'low', 'high', p, false))));
  }
}

/**
 * One range predicate over a stored [low, high). For `_lastUpdated` the stored value is an
 * instant t, i.e. the range [t, t + 1).
 */
function rangeOn<E extends Eb | SearchEb>(
  eb: E,
  lowColumn: string,
  highColumn: string,
  p: RangePredicate,
  instant: boolean,
) {
  // Column names are fixed strings chosen above; the builder is typed per table, hence the casts.
  const b = eb as unknown as ExpressionBuilder<Record<string, Record<string, number | null>>, string>;
  const parts = [];
  if (p.lowGe !== undefined) parts.push(b(lowColumn, '>=', p.lowGe));
  if (p.lowLt !== undefined) parts.push(b(lowColumn, '<', p.lowLt));
  if (p.highGt !== undefined) parts.push(b(highColumn, instant ? '>=' : '>', p.highGt));
  if (p.highLe !== undefined) parts.push(b(highColumn, instant ? '<' : '<=', p.highLe));
  return parts.length === 0 ? b.val(true) : b.and(parts);
}
