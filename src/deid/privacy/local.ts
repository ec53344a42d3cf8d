import { deidError } from '../errors.js';
import type { ClassCheck } from './criteria.js';
import type { EncodedTable } from './encode.js';
import { lossTables } from './loss.js';

/**
 * Local recoding by top-down hierarchical specialization: a Mondrian-style partitioning
 * (LeFevre et al., 2006) that splits along the generalization hierarchies instead of numeric
 * medians, so every output value is still a node of the column's hierarchy.
 *
 * Start with one partition holding every row at the top of every hierarchy. For a partition,
 * try lowering each quasi-identifier by one level: rows fall into children by their value at
 * that level. Children that satisfy the criteria (k rows, l / t on the sensitive attributes)
 * become partitions of their own; the others are pooled into a remainder that keeps the
 * parent's level, and if the pool fails, the smallest valid children join it until it passes.
 * Among the attributes, the split that removes the most generalization loss wins; a partition
 * that no attribute can split is an equivalence class. Different parts of the table thus end at
 * different levels (e.g. ages in 5-year bands in the city, 20-year bands in a small county),
 * which keeps more detail than one level for all. No row is suppressed.
 */
export interface LocalRecoding {
  partitionOfRow: Int32Array;
  /** Levels per partition, one per QI. */
  partitionLevels: number[][];
}

export function localRecoding(table: EncodedTable, checks: readonly ClassCheck[], k: number): LocalRecoding {
  const q = table.qis.length;
  const cell = lossTables(table, 'loss').cell;
  const maxDistinct = Math.max(1, ...table.sensitive.map((s) => s.labels.length));
  const hValues = new Int32Array(maxDistinct);
  const hCounts = new Float64Array(maxDistinct);
  const hist = new Float64Array(maxDistinct);

  const satisfies = (rows: Int32Array): boolean => {
    if (rows.length < k) return false;
    for (const check of checks) {
      const codes = table.sensitive[check.attribute]!.codes;
      let n = 0;
      for (const r of rows) {
        const v = codes[r]!;
        if (hist[v] === 0) hValues[n++] = v;
        hist[v]!++;
      }
      for (let i = 0; i < n; i++) {
        hCounts[i] = hist[hValues[i]!]!;
        hist[hValues[i]!] = 0;
      }
      if (!check.passes(hValues, hCounts, n, rows.length)) return false;
    }
    return true;
  };

  const all = Int32Array.from({ length: table.rows }, (_, i) => i);
  const top = table.qis.map((qi) => qi.height - 1);
  if (!satisfies(all)) {
    throw deidError(
      'the table as a whole does not satisfy the privacy models, so no recoding can',
      '整张数据表都不满足隐私模型，任何重编码都无法满足',
      { path: 'privacy', hint: 'lower k or l, raise t, or de-identify a larger extract' },
    );
  }
  const partitionOfRow = new Int32Array(table.rows);
  const partitionLevels: number[][] = [];
  const stack: { rows: Int32Array; levels: number[] }[] = [{ rows: all, levels: top }];

  while (stack.length > 0) {
    const { rows, levels } = stack.pop()!;
    let bestSplit: { parts: { rows: Int32Array; levels: number[] }[]; gain: number } | undefined;
    for (let i = 0; i < q; i++) {
      const level = levels[i]!;
      if (level === 0) continue;
      const qi = table.qis[i]!;
      const map = qi.levelMap[level - 1]!;
      const buckets = new Map<number, number[]>();
      for (const r of rows) {
        const g = map[qi.codes[r]!]!;
        let b = buckets.get(g);
        if (b === undefined) buckets.set(g, (b = []));
        b.push(r);
      }
      if (buckets.size < 2) continue;
      const valid: { g: number; rows: Int32Array }[] = [];
      const rest: number[] = [];
      for (const [g, b] of buckets) {
        const arr = Int32Array.from(b);
        if (satisfies(arr)) valid.push({ g, rows: arr });
        else for (const r of b) rest.push(r);
      }
      valid.sort((a, b) => a.rows.length - b.rows.length);
      let remainder = Int32Array.from(rest);
      while (remainder.length > 0 && !satisfies(remainder) && valid.length > 0) {
        const smallest = valid.shift()!;
        const merged = new Int32Array(remainder.length + smallest.rows.length);
        merged.set(remainder);
        merged.set(smallest.rows, remainder.length);
        remainder = merged;
      }
      if (valid.length === 0 || (remainder.length > 0 && !satisfies(remainder))) continue;
      const parentCell = cell[i]![level]!;
      const childCell = cell[i]![level - 1]!;
      const parentMap = qi.levelMap[level]!;
      let gain = 0;
      for (const v of valid) {
        for (const r of v.rows) gain += parentCell[parentMap[qi.codes[r]!]!]! - childCell[v.g]!;
      }
      if (gain <= 0 || (bestSplit !== undefined && gain <= bestSplit.gain)) continue;
      const childLevels = levels.slice();
      childLevels[i] = level - 1;
      const parts = valid.map((v) => ({ rows: v.rows, levels: childLevels }));
      if (remainder.length > 0) parts.push({ rows: remainder, levels });
      bestSplit = { parts, gain };
    }
    if (bestSplit === undefined) {
      const id = partitionLevels.length;
      partitionLevels.push(levels);
      for (const r of rows) partitionOfRow[r] = id;
    } else {
      stack.push(...bestSplit.parts);
    }
  }
  return { partitionOfRow, partitionLevels };
}
