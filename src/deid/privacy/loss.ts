import type { EncodedQi, EncodedTable } from './encode.js';

/**
 * The information-loss measures a search can minimize:
 * - `loss`: generalization loss (Iyengar's LM): per cell (leaves under the generalized value - 1) /
 *   (distinct values - 1), averaged over all cells; a suppressed cell costs 1. In [0, 1].
 * - `discernibility`: sum of squared class sizes, plus rows x n for each suppressed row.
 * - `entropy`: non-uniform entropy in bits: per cell -log2(freq(original) / freq(generalized));
 *   a suppressed cell counts as generalized to the whole table.
 */
export type LossMetric = 'loss' | 'discernibility' | 'entropy';

/** Per QI and level: the loss of each generalized value and the column total over all rows. */
export interface LossTables {
  /** cell[i][l][g]: loss of one cell of QI i holding generalized value g at level l. */
  readonly cell: readonly (readonly Float64Array[])[];
  /** column[i][l]: the sum of cell losses of QI i over all rows at level l. */
  readonly column: readonly Float64Array[];
  /** Loss of one suppressed cell of QI i. */
  readonly suppressedCell: Float64Array;
  /** Divides sums into the reported figure (n x q for `loss`, 1 otherwise). */
  readonly scale: number;
}

export function lossTables(table: EncodedTable, metric: LossMetric): LossTables {
  const n = table.rows;
  const q = table.qis.length;
  const cell: Float64Array[][] = [];
  const column: Float64Array[] = [];
  const suppressedCell = new Float64Array(q);
  table.qis.forEach((qi, i) => {
    const perLevel: Float64Array[] = [];
    const col = new Float64Array(qi.height);
    for (let l = 0; l < qi.height; l++) {
      const c = cellLoss(qi, l, metric, n);
      perLevel.push(c);
      let sum = 0;
      if (metric === 'entropy') sum = entropyColumn(qi, l);
      else if (metric === 'loss') for (let g = 0; g < c.length; g++) sum += c[g]! * qi.freq[l]![g]!;
      col[l] = sum;
    }
    cell.push(perLevel);
    column.push(col);
    suppressedCell[i] = metric === 'loss' ? 1 : metric === 'entropy' ? Math.log2(Math.max(n, 1)) : 0;
  });
  return { cell, column, suppressedCell, scale: metric === 'loss' ? Math.max(n * q, 1) : 1 };
}

function cellLoss(qi: EncodedQi, level: number, metric: LossMetric, _n: number): Float64Array {
  const leaves = qi.leaves[level]!;
  const out = new Float64Array(leaves.length);
  if (metric === 'loss') {
    const domain = qi.leaves[0]!.length;
    for (let g = 0; g < out.length; g++) out[g] = domain > 1 ? (leaves[g]! - 1) / (domain - 1) : 0;
  } else if (metric === 'entropy') {
    // For a suppressed row the correction is log2(n) - log2(freq(g)); see checker.ts.
    const freq = qi.freq[level]!;
    for (let g = 0; g < out.length; g++) out[g] = Math.log2(freq[g]!);
  }
  return out;
}

/** Sum over rows of -log2(freq0(v) / freqL(g(v))). */
function entropyColumn(qi: EncodedQi, level: number): number {
  const f0 = qi.freq[0]!;
  const fl = qi.freq[level]!;
  let sum = 0;
  for (let g = 0; g < fl.length; g++) if (fl[g]! > 0) sum += fl[g]! * Math.log2(fl[g]!);
  for (let v = 0; v < f0.length; v++) if (f0[v]! > 0) sum -= f0[v]! * Math.log2(f0[v]!);
  return sum;
}

/** The loss of a node if nothing were suppressed: a lower bound of it and of every generalization of it. */
export function dataFreeLowerBound(tables: LossTables, levels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < tables.column.length; i++) sum += tables.column[i]![levels[i]!]!;
  return sum / tables.scale;
}
