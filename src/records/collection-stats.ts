import { sql } from 'kysely';
import type { Records } from './records.js';

/**
 * Each resource type in the store with the time of its latest write (a delete is a write), for
 * the catalog's collection assets. The types are found by a loose index scan (one index probe per
 * type, not a scan of the table), so this stays cheap however many resources there are.
 */
export async function collectionChanges(records: Records): Promise<Map<string, number>> {
  const tenant = records.tenant;
  const { rows } = await sql<{ resource_type: string; last: number | string | null }>`
    with recursive types(rt) as (
      select min(resource_type) from rec_resource where tenant_id = ${tenant}
      union all
      select (select min(resource_type) from rec_resource where tenant_id = ${tenant} and resource_type > types.rt)
        from types where types.rt is not null
    )
    select rt as resource_type,
      (select max(last_updated) from rec_resource r where r.tenant_id = ${tenant} and r.resource_type = types.rt) as last
    from types where rt is not null`.execute(records.db);
  return new Map(rows.map((r) => [r.resource_type, Number(r.last ?? 0)]));
}

/** The resources of a type that are not deleted, counted per stored grade (`<scheme>:<grade>`). */
export async function collectionGradeCounts(
  records: Records,
  resourceType: string,
): Promise<Map<string, number>> {
  const rows = await records.db
    .selectFrom('rec_resource')
    .select(['grade', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('tenant_id', '=', records.tenant)
    .where('resource_type', '=', resourceType)
    .where('method', '!=', 'DELETE')
    .groupBy('grade')
    .execute();
  return new Map(rows.map((r) => [r.grade, Number(r.n)]));
}
