import type { DateRange } from '../datetime.js';

/** R4 search prefixes for ordered values. */
export const DATE_PREFIXES = ['eq', 'ne', 'lt', 'gt', 'le', 'ge', 'sa', 'eb', 'ap'] as const;
export type DatePrefix = (typeof DATE_PREFIXES)[number];

/**
 * A condition on a stored range [low, high): every present bound must hold. A date criterion is
 * an OR of these, which a store turns into SQL over two indexed columns (low, high).
 */
export interface RangePredicate {
  lowGe?: number;
  lowLt?: number;
  highGt?: number;
  highLe?: number;
}

/**
 * The R4 prefix semantics (search §3.1.1.4.1) between the search range [pl, ph) and a
 * resource range [rl, rh):
 *   eq  [pl, ph) contains [rl, rh)            ne  it does not
 *   gt  rh > ph (something after the value)   lt  rl < pl
 *   ge  gt or eq                              le  lt or eq
 *   sa  rl >= ph (starts after)               eb  rh <= pl (ends before)
 *   ap  overlaps [pl - d, ph + d) with d = 10% of the distance from now (the spec's advice).
 */
export function datePredicates(prefix: DatePrefix, { low, high }: DateRange, now: number): RangePredicate[] {
  switch (prefix) {
    case 'eq':
      return [{ lowGe: low, highLe: high }];
    case 'ne':
      return [{ lowLt: low }, { highGt: high }];
    case 'gt':
      return [{ highGt: high }];
    case 'lt':
      return [{ lowLt: low }];
    case 'ge':
      return [{ highGt: high }, { lowGe: low, highLe: high }];
    case 'le':
      return [{ lowLt: low }, { lowGe: low, highLe: high }];
    case 'sa':
      return [{ lowGe: high }];
    case 'eb':
      return [{ highLe: low }];
    case 'ap': {
      const d = Math.round(Math.abs(now - low) / 10);
      return [{ lowLt: high + d, highGt: low - d }];
    }
  }
}

export function matchesRange(predicates: readonly RangePredicate[], { low, high }: DateRange): boolean {
  return predicates.some(
    (p) =>
      (p.lowGe === undefined || low >= p.lowGe) &&
      (p.lowLt === undefined || low < p.lowLt) &&
      (p.highGt === undefined || high > p.highGt) &&
      (p.highLe === undefined || high <= p.highLe),
  );
}
