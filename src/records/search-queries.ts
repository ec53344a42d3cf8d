import type { Compilable, Kysely } from 'kysely';
import { LruCache } from '../core/index.js';
import type { ParsedSearch } from '../fhir/index.js';
import { preparedQuery, type PreparedQuery } from '../store/index.js';
import { planQuery } from './search.js';
import type { SearchPlan } from './search-plan.js';
import { CURRENT_COLUMNS, type CurrentRow, type RecordsTables } from './tables.js';

type Db = Kysely<RecordsTables>;
/** A prepared query's values by slot number: the plan's values, then the page's. */
type Values = Record<`${number}`, unknown>;
type Sort = ParsedSearch['sort'];

/**
 * The compiled SQL of recent search shapes (see `SearchPlan`). Building and compiling a search
 * with Kysely costs tens of µs, more than SQLite takes to run it; searches of one shape differ
 * only in their values, so each shape is compiled once and run with the values of each search.
 */
export class SearchQueries {
  private readonly cache = new LruCache<string, PreparedQuery<`${number}`, unknown>>(256);

  constructor(private readonly db: Db) {}

  /**
   * A page in id order, rows with their bodies: one pass over the matches, stopping after the
   * page. (Sorted pages go through `pageIds`: a sort would carry every match's body.)
   */
  async page(plan: SearchPlan, limit: number, offset: number): Promise<CurrentRow[]> {
    const n = plan.values.length;
    const query = this.prepared(`page|${plan.shape}`, plan, (q, slot) =>
      q
        .select(CURRENT_COLUMNS)
        .orderBy('id')
        .limit(slot(n))
        .offset(slot(n + 1)),
    );
    return (await query.run(this.db, [...plan.values, limit, offset] as Values)).rows;
  }

  /** The ids of a sorted page, ties broken by id. */
  async pageIds(plan: SearchPlan, sort: Sort, limit: number, offset: number): Promise<string[]> {
    const n = plan.values.length;
    const order = sort.map((s) => `${s.param}:${s.descending ? 'desc' : 'asc'}`).join(',');
    const query = this.prepared(`ids|${order}|${plan.shape}`, plan, (q, slot) => {
      let sorted = q.select('id');
      for (const s of sort)
        sorted = sorted.orderBy(
          s.param === 'date' ? 'sort_date' : 'last_updated',
          s.descending ? 'desc' : 'asc',
        );
      return sorted
        .orderBy('id')
        .limit(slot(n))
        .offset(slot(n + 1));
    });
    const { rows } = await query.run(this.db, [...plan.values, limit, offset] as Values);
    return rows.map((r) => r.id);
  }

  async count(plan: SearchPlan): Promise<number> {
    const query = this.prepared(`count|${plan.shape}`, plan, (q) =>
      q.select((eb) => eb.fn.countAll<number>().as('n')),
    );
    const { rows } = await query.run(this.db, plan.values as Values);
    return Number(rows[0]!.n);
  }

  private prepared<R>(
    key: string,
    plan: SearchPlan,
    finish: (q: ReturnType<typeof planQuery>, slot: (i: number) => never) => Compilable<R>,
  ): PreparedQuery<`${number}`, R> {
    let query = this.cache.get(key) as PreparedQuery<`${number}`, R> | undefined;
    if (query === undefined) {
      query = preparedQuery<`${number}`, R>((slot) => {
        const at = (i: number) => slot(`${i}`);
        return finish(planQuery(this.db, plan, at), at);
      });
      this.cache.set(key, query as PreparedQuery<`${number}`, unknown>);
    }
    return query;
  }
}
