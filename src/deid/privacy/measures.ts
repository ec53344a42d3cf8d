import { deidError } from '../errors.js';
import { chainOf } from '../operators/hierarchy.js';
import type { EncodedTable } from './encode.js';
import { lossTables } from './loss.js';
import type { Recoding } from './recoding.js';
import { generalizedValue, levelOf } from './recoding.js';
import { TupleTable } from './tuple-table.js';

/** Utility of a release: how much detail survived. */
export interface UtilityMeasures {
  rows: number;
  suppressedRows: number;
  equivalenceClasses: number;
  averageClassSize: number;
  smallestClass: number;
  /** Iyengar's generalization loss in [0, 1] (suppressed cells count 1). */
  generalizationLoss: number;
  discernibility: number;
  /** Non-uniform entropy in bits. */
  nonUniformEntropy: number;
}

/** Re-identification risk under the three attacker models of El Emam's framework. */
export interface RiskMeasures {
  prosecutor: { highest: number; average: number; recordsAtHighest: number };
  /** Against a population table when one is given; otherwise the sample stands for it. */
  journalist: { highest: number; average: number; population: boolean };
  /** Expected share of rows an attacker matching every row would re-identify. */
  marketer: number;
  /** Share of rows unique in the release on their quasi-identifiers. */
  sampleUniques: number;
  /** Share of rows unique in the population (only with a population table). */
  populationUniques?: number;
}

/** Rows of a population table: QI values and how many people share them. */
export interface PopulationTable {
  rows: readonly { values: Readonly<Record<string, string>>; count: number }[];
}

interface Classes {
  size: Float64Array;
  classOfRow: Int32Array;
  count: number;
  /** A row of each class, to read its levels and values. */
  representative: Int32Array;
}

function classesOf(table: EncodedTable, rec: Recoding): Classes {
  const q = table.qis.length;
  const classOfRow = new Int32Array(table.rows).fill(-1);
  if (rec.kind === 'local') {
    const tt = new TupleTable(2 * q, 1024);
    const scratch = new Int32Array(2 * q);
    for (let r = 0; r < table.rows; r++) {
      if (rec.suppressed[r] === 1) continue;
      for (let i = 0; i < q; i++) {
        const qi = table.qis[i]!;
        const level = levelOf(rec, i, r);
        scratch[2 * i] = level;
        scratch[2 * i + 1] = qi.levelMap[level]![qi.codes[r]!]!;
      }
      classOfRow[r] = tt.idOf(scratch);
    }
    return finishClasses(classOfRow, tt.size);
  }
  // One level per QI for every row: the generalized ids alone are the key.
  const tt = new TupleTable(Math.max(q, 1), 1024);
  const scratch = new Int32Array(Math.max(q, 1));
  const cols = table.qis.map((qi, i) => {
    const level = rec.kind === 'global' ? rec.levels[i]! : 0;
    const map = qi.levelMap[level]!;
    const out = new Int32Array(table.rows);
    for (let r = 0; r < table.rows; r++) out[r] = map[qi.codes[r]!]!;
    return out;
  });
  for (let r = 0; r < table.rows; r++) {
    if (rec.suppressed[r] === 1) continue;
    for (let i = 0; i < q; i++) scratch[i] = cols[i]![r]!;
    classOfRow[r] = tt.idOf(scratch);
  }
  return finishClasses(classOfRow, tt.size);
}

function finishClasses(classOfRow: Int32Array, count: number): Classes {
  const size = new Float64Array(count);
  const representative = new Int32Array(count);
  for (let r = 0; r < classOfRow.length; r++) {
    const c = classOfRow[r]!;
    if (c < 0) continue;
    if (size[c] === 0) representative[c] = r;
    size[c]!++;
  }
  return { size, classOfRow, count, representative };
}

export function utilityOf(table: EncodedTable, rec: Recoding): UtilityMeasures {
  const q = table.qis.length;
  const n = table.rows;
  const classes = classesOf(table, rec);
  const lm = lossTables(table, 'loss').cell;
  let suppressedRows = 0;
  let loss = 0;
  let entropy = 0;
  // log2 of the frequency of each generalized value, per QI and level (computed once, not per cell).
  const log2freq = table.qis.map((qi) => qi.freq.map((f) => f.map((x) => Math.log2(x))));
  const log2n = Math.log2(n);
  for (let r = 0; r < n; r++) {
    if (rec.suppressed[r] === 1) {
      suppressedRows++;
      loss += q;
      for (let i = 0; i < q; i++) entropy += log2n - log2freq[i]![0]![table.qis[i]!.codes[r]!]!;
      continue;
    }
    for (let i = 0; i < q; i++) {
      const qi = table.qis[i]!;
      const level = rec.kind === 'global' ? rec.levels[i]! : levelOf(rec, i, r);
      const code = qi.codes[r]!;
      const g = qi.levelMap[level]![code]!;
      loss += lm[i]![level]![g]!;
      entropy += log2freq[i]![level]![g]! - log2freq[i]![0]![code]!;
    }
  }
  let squares = 0;
  let smallest = Infinity;
  for (let c = 0; c < classes.count; c++) {
    squares += classes.size[c]! * classes.size[c]!;
    smallest = Math.min(smallest, classes.size[c]!);
  }
  const kept = n - suppressedRows;
  return {
    rows: n,
    suppressedRows,
    equivalenceClasses: classes.count,
    averageClassSize: classes.count === 0 ? 0 : kept / classes.count,
    smallestClass: classes.count === 0 ? 0 : smallest,
    generalizationLoss: n * q === 0 ? 0 : loss / (n * q),
    discernibility: squares + suppressedRows * n,
    nonUniformEntropy: entropy,
  };
}

export function riskOf(
  table: EncodedTable,
  rec: Recoding,
  options: { population?: PopulationTable; threshold?: number } = {},
): RiskMeasures {
  const classes = classesOf(table, rec);
  const kept = classes.size.reduce((a, b) => a + b, 0);
  let smallest = Infinity;
  let uniques = 0;
  for (let c = 0; c < classes.count; c++) {
    const s = classes.size[c]!;
    smallest = Math.min(smallest, s);
    if (s === 1) uniques++;
  }
  let atHighest = 0;
  for (let c = 0; c < classes.count; c++) if (classes.size[c] === smallest) atHighest += smallest;
  const prosecutor = {
    highest: classes.count === 0 ? 0 : 1 / smallest,
    average: kept === 0 ? 0 : classes.count / kept,
    recordsAtHighest: kept === 0 ? 0 : atHighest / kept,
  };
  const population = options.population
    ? populationSizes(table, rec, classes, options.population)
    : undefined;
  let journalistHighest = prosecutor.highest;
  let marketer = prosecutor.average;
  let populationUniques: number | undefined;
  if (population) {
    let minF = Infinity;
    let sum = 0;
    let popUniqueRows = 0;
    for (let c = 0; c < classes.count; c++) {
      const F = Math.max(population[c]!, classes.size[c]!);
      minF = Math.min(minF, F);
      sum += classes.size[c]! / F;
      if (F === 1) popUniqueRows += classes.size[c]!;
    }
    journalistHighest = classes.count === 0 ? 0 : 1 / minF;
    marketer = kept === 0 ? 0 : sum / kept;
    populationUniques = kept === 0 ? 0 : popUniqueRows / kept;
  }
  const result: RiskMeasures = {
    prosecutor,
    journalist: { highest: journalistHighest, average: marketer, population: population !== undefined },
    marketer,
    sampleUniques: kept === 0 ? 0 : uniques / kept,
  };
  if (populationUniques !== undefined) result.populationUniques = populationUniques;
  return result;
}

/** For each release class, how many people of the population share its generalized values. */
function populationSizes(
  table: EncodedTable,
  rec: Recoding,
  classes: Classes,
  population: PopulationTable,
): Float64Array {
  const q = table.qis.length;
  const byLevels = new Map<string, Map<string, number>>();
  const out = new Float64Array(classes.count);
  for (let c = 0; c < classes.count; c++) {
    const r = classes.representative[c]!;
    const levels = table.qis.map((_, i) => levelOf(rec, i, r));
    const levelKey = levels.join(',');
    let counts = byLevels.get(levelKey);
    if (counts === undefined) {
      counts = new Map();
      population.rows.forEach((row, index) => {
        const key = table.qis
          .map((qi, i) => {
            const v = row.values[qi.name];
            if (v === undefined) {
              throw deidError(
                `population table row ${index + 1} has no column "${qi.name}"`,
                `人口表第 ${index + 1} 行缺少列“${qi.name}”`,
                { path: `population.${qi.name}` },
              );
            }
            return chainOf(qi.hierarchy, v, `population.${qi.name}`)[levels[i]!];
          })
          .join('\u0000');
        counts!.set(key, (counts!.get(key) ?? 0) + row.count);
      });
      byLevels.set(levelKey, counts);
    }
    const key = Array.from({ length: q }, (_, i) => generalizedValue(table, rec, i, r)).join('\u0000');
    out[c] = counts.get(key) ?? 0;
  }
  return out;
}
