import type { Kysely } from 'kysely';
import { CustodiaError, type TenantId } from '../core/index.js';
import type { TenantIndexer } from '../crypto/index.js';
import type { CreateCondition, ParsedSearch } from '../fhir/index.js';
import { blindIndexOf } from './index-rows.js';
import { chunks } from './chunks.js';
import { matchingResources } from './search.js';
import type { RecordsTables } from './tables.js';

type Db = Kysely<RecordsTables>;

/** A create that may turn out to exist already. */
export interface ConditionalCreate {
  index: number;
  resourceType: string;
  sourceId?: string | undefined;
  condition?: CreateCondition | undefined;
}

/**
 * Which creates match a resource the organization already has, so re-importing creates nothing:
 * first by `ifNoneExist` (a search; more than one match is 412 as FHIR says), then by the id the
 * sender gave it, then by any of its identifiers (blind-indexed). Source ids and identifiers are
 * looked up in one query each for the whole batch: an import must not pay a round trip per resource.
 */
export async function resolveCreates(
  db: Db,
  tenant: TenantId,
  orgId: string,
  indexer: TenantIndexer,
  creates: readonly ConditionalCreate[],
): Promise<Map<number, string>> {
  const matched = new Map<number, string>();
  for (const c of creates) {
    if (c.condition?.kind !== 'search') continue;
    const id = await searchOne(db, tenant, orgId, indexer, c.condition.search);
    if (id !== undefined) matched.set(c.index, id);
  }

  const bySource = creates.filter((c) => !matched.has(c.index) && c.sourceId !== undefined);
  if (bySource.length > 0) {
    const found = await sourceIds(
      db,
      tenant,
      orgId,
      indexer,
      bySource.map((c) => ({ type: c.resourceType, sourceId: c.sourceId! })),
    );
    for (const c of bySource) {
      const id = found.get(`${c.resourceType}/${c.sourceId}`);
      if (id !== undefined) matched.set(c.index, id);
    }
  }

  const byIdentifier = creates.filter((c) => !matched.has(c.index) && c.condition?.kind === 'identifier');
  const blinds = new Map<number, { system: string; value: string }[]>();
  for (const c of byIdentifier) {
    if (c.condition?.kind !== 'identifier') continue;
    blinds.set(
      c.index,
      c.condition.identifiers.flatMap((i) => {
        const value = blindIndexOf(indexer, 'identifier', i.value);
        return value === undefined ? [] : [{ system: i.system, value }];
      }),
    );
  }
  // One query per resource type, so the (tenant, type, param, value) index serves it.
  const typed = byIdentifier.flatMap((c) =>
    (blinds.get(c.index) ?? []).map((b) => [c.resourceType, b.value] as const),
  );
  const owner = new Map<string, string>();
  for (const [type, values] of byType(typed)) {
    for (const part of chunks(values)) {
      const rows = await db
        .selectFrom('rec_search as s')
        .innerJoin('rec_resource as r', (j) =>
          j
            .onRef('r.tenant_id', '=', 's.tenant_id')
            .onRef('r.resource_type', '=', 's.resource_type')
            .onRef('r.id', '=', 's.resource_id'),
        )
        .select(['s.resource_type', 's.resource_id', 's.system', 's.value'])
        .where('s.tenant_id', '=', tenant)
        .where('s.resource_type', '=', type)
        .where('s.param', '=', 'identifier')
        .where('s.value', 'in', part)
        .where('r.org_id', '=', orgId)
        .where('r.method', '!=', 'DELETE')
        .execute();
      for (const r of rows) owner.set(`${r.resource_type}\u0000${r.system}\u0000${r.value}`, r.resource_id);
    }
  }
  for (const c of byIdentifier) {
    const id = (blinds.get(c.index) ?? [])
      .map((b) => owner.get(`${c.resourceType}\u0000${b.system}\u0000${b.value}`))
      .find((found) => found !== undefined);
    if (id !== undefined) matched.set(c.index, id);
  }
  return matched;
}

/**
 * Our ids of resources the organization imported under the sender's ids: `Type/sourceId` → id.
 * Source ids are stored as keyed tokens (`TenantIndexer.sourceIdToken`), looked up the same way.
 */
export async function sourceIds(
  db: Db,
  tenant: TenantId,
  orgId: string,
  indexer: TenantIndexer,
  keys: readonly { type: string; sourceId: string }[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [type, ids] of byType(keys.map((k) => [k.type, k.sourceId]))) {
    const byToken = new Map(ids.map((id) => [indexer.sourceIdToken(type, id), id]));
    for (const part of chunks([...byToken.keys()])) {
      const rows = await db
        .selectFrom('rec_resource')
        .select(['id', 'source_id'])
        .where('tenant_id', '=', tenant)
        .where('org_id', '=', orgId)
        .where('resource_type', '=', type)
        .where('source_id', 'in', part)
        .where('method', '!=', 'DELETE')
        .execute();
      for (const r of rows) out.set(`${type}/${byToken.get(r.source_id!)!}`, r.id);
    }
  }
  return out;
}

/** The one resource of the organization a search matches, undefined for none, 412 for several. */
export async function searchOne(
  db: Db,
  tenant: TenantId,
  orgId: string,
  indexer: TenantIndexer,
  search: ParsedSearch,
): Promise<string | undefined> {
  const rows = await matchingResources(db, tenant, search, indexer, { orgIds: [orgId] })
    .select('id')
    .limit(2)
    .execute();
  if (rows.length > 1)
    throw new CustodiaError(
      'precondition-failed',
      `the condition ${search.resourceType}?… matches more than one resource`,
      {
        zh: `条件 ${search.resourceType}?… 匹配到多个资源`,
        hint: 'make the condition specific enough to match at most one resource',
      },
    );
  return rows[0]?.id;
}

/** Which `Type/id` references name no current resource of the tenant. */
export async function missingResources(
  db: Db,
  tenant: TenantId,
  references: readonly string[],
): Promise<string[]> {
  const missing: string[] = [];
  const pairs = references.map((ref) => ref.split('/', 2) as [string, string]);
  for (const [type, ids] of byType(pairs)) {
    const found = new Set<string>();
    for (const part of chunks(ids)) {
      const rows = await db
        .selectFrom('rec_resource')
        .select('id')
        .where('tenant_id', '=', tenant)
        .where('resource_type', '=', type)
        .where('id', 'in', part)
        .where('method', '!=', 'DELETE')
        .execute();
      for (const r of rows) found.add(r.id);
    }
    for (const id of ids) if (!found.has(id)) missing.push(`${type}/${id}`);
  }
  return missing;
}

/** `[type, id]` pairs grouped by type, ids distinct: one IN query per type instead of one per id. */
function byType(pairs: Iterable<readonly [string, string]>): Map<string, string[]> {
  const grouped = new Map<string, Set<string>>();
  for (const [type, id] of pairs) {
    let ids = grouped.get(type);
    if (!ids) grouped.set(type, (ids = new Set()));
    ids.add(id);
  }
  return new Map([...grouped].map(([type, ids]) => [type, [...ids]]));
}
