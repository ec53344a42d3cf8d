import type { ClassCheck } from './criteria.js';
import type { EncodedTable } from './encode.js';
import type { LossMetric, LossTables } from './loss.js';
import { dataFreeLowerBound, lossTables } from './loss.js';
import { TupleTable } from './tuple-table.js';

/** What checking one transformation (one lattice node) found. */
export interface NodeResult {
  /** Rows in classes that fail a criterion: these are suppressed. */
  suppressed: number;
  /** Rows in classes smaller than k alone (monotone, so usable for tagging in every case). */
  belowK: number;
  anonymous: boolean;
  loss: number;
  /** A lower bound on the loss of this node and every generalization of it. */
  lowerBoundUp: number;
  classes: number;
}

/**
 * Evaluates transformations against the privacy criteria. Rows are first collapsed into the
 * distinct tuples of (quasi-identifiers, sensitive values) with counts; each check maps those
 * tuples through the chosen levels and groups them in a typed-array hash table.
 */
export class NodeChecker {
  readonly q: number;
  readonly rows: number;
  readonly k: number;
  readonly maxSuppressed: number;
  readonly tables: LossTables;
  /** Distinct bottom tuples: count of rows per tuple. */
  readonly bottomCount: Float64Array;
  readonly rowToBottom: Int32Array;
  /** gen[i][l][j]: id at level l of QI i for bottom tuple j. */
  readonly #gen: Int32Array[][];
  /** sens[a][j]: sensitive value id of attribute a for bottom tuple j. */
  readonly #sens: Int32Array[];
  readonly #groups: TupleTable;
  readonly #pairs: TupleTable;
  readonly #scratch: Int32Array;
  classOf: Int32Array;
  classSize: Float64Array;
  classFails: Uint8Array;
  checks = 0;

  constructor(
    readonly table: EncodedTable,
    readonly criteriaChecks: readonly ClassCheck[],
    k: number,
    suppressionLimit: number,
    readonly metric: LossMetric,
  ) {
    this.q = table.qis.length;
    this.rows = table.rows;
    this.k = k;
    this.maxSuppressed = Math.floor(suppressionLimit * table.rows + 1e-9);
    this.tables = lossTables(table, metric);
    const usedSensitive = [...new Set(criteriaChecks.map((c) => c.attribute))].sort((a, b) => a - b);
    const width = this.q + usedSensitive.length;
    const bottom = new TupleTable(width, 1024);
    const scratch = new Int32Array(width);
    this.rowToBottom = new Int32Array(table.rows);
    for (let r = 0; r < table.rows; r++) {
      for (let i = 0; i < this.q; i++) scratch[i] = table.qis[i]!.codes[r]!;
      usedSensitive.forEach((a, x) => (scratch[this.q + x] = table.sensitive[a]!.codes[r]!));
      this.rowToBottom[r] = bottom.idOf(scratch);
    }
    const m = bottom.size;
    this.bottomCount = new Float64Array(m);
    for (let r = 0; r < table.rows; r++) this.bottomCount[this.rowToBottom[r]!]!++;
    this.#gen = table.qis.map((qi, i) =>
      qi.levelMap.map((map) => {
        const out = new Int32Array(m);
        for (let j = 0; j < m; j++) out[j] = map[bottom.tuple(j)[i]!]!;
        return out;
      }),
    );
    this.#sens = table.sensitive.map((_, a) => {
      const x = usedSensitive.indexOf(a);
      const out = new Int32Array(m);
      if (x >= 0) for (let j = 0; j < m; j++) out[j] = bottom.tuple(j)[this.q + x]!;
      return out;
    });
    this.#groups = new TupleTable(this.q, m);
    this.#pairs = new TupleTable(2, m);
    this.#scratch = new Int32Array(Math.max(this.q, 2));
    this.classOf = new Int32Array(m);
    this.classSize = new Float64Array(m);
    this.classFails = new Uint8Array(m);
  }

  get bottomTuples(): number {
    return this.bottomCount.length;
  }

  lowerBound(levels: ArrayLike<number>): number {
    return dataFreeLowerBound(this.tables, levels);
  }

  /** Groups the table at `levels` and checks every class. */
  evaluate(levels: ArrayLike<number>): NodeResult {
    this.checks++;
    const q = this.q;
    const m = this.bottomCount.length;
    const groups = this.#groups;
    groups.clear();
    const scratch = this.#scratch;
    const cols: Int32Array[] = [];
    for (let i = 0; i < q; i++) cols.push(this.#gen[i]![levels[i]!]!);
    const classOf = this.classOf;
    const size = this.classSize;
    size.fill(0, 0, m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < q; i++) scratch[i] = cols[i]![j]!;
      const c = groups.idOf(scratch);
      classOf[j] = c;
      size[c]! += this.bottomCount[j]!;
    }
    const classes = groups.size;
    const fails = this.classFails;
    fails.fill(0, 0, classes);
    let belowK = 0;
    for (let c = 0; c < classes; c++) {
      if (size[c]! < this.k) {
        fails[c] = 1;
        belowK += size[c]!;
      }
    }
    for (const check of this.criteriaChecks) this.#applyCheck(check, classes);
    let suppressed = 0;
    let correction = 0;
    let squares = 0;
    const t = this.tables;
    for (let c = 0; c < classes; c++) {
      const s = size[c]!;
      squares += s * s;
      if (fails[c] === 0) continue;
      suppressed += s;
      if (this.metric === 'discernibility') continue;
      const tuple = groups.tuple(c);
      let perRow = 0;
      for (let i = 0; i < q; i++) perRow += t.suppressedCell[i]! - t.cell[i]![levels[i]!]![tuple[i]!]!;
      correction += s * perRow;
    }
    const anonymous = suppressed <= this.maxSuppressed;
    if (this.metric === 'discernibility') {
      const loss = squares - this.#squaresOfFailing(classes) + suppressed * this.rows;
      return { suppressed, belowK, anonymous, loss, lowerBoundUp: squares, classes };
    }
    const lb = this.lowerBound(levels);
    return { suppressed, belowK, anonymous, loss: lb + correction / t.scale, lowerBoundUp: lb, classes };
  }

  #squaresOfFailing(classes: number): number {
    let sum = 0;
    for (let c = 0; c < classes; c++)
      if (this.classFails[c] === 1) sum += this.classSize[c]! * this.classSize[c]!;
    return sum;
  }

  /** Builds each class's histogram of one sensitive attribute and marks classes that fail. */
  #applyCheck(check: ClassCheck, classes: number): void {
    const m = this.bottomCount.length;
    const sens = this.#sens[check.attribute]!;
    const pairs = this.#pairs;
    pairs.clear();
    const scratch = this.#scratch;
    const pairCount = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      scratch[0] = this.classOf[j]!;
      scratch[1] = sens[j]!;
      pairCount[pairs.idOf(scratch)]! += this.bottomCount[j]!;
    }
    const np = pairs.size;
    // Counting sort of pairs by class, so each class's histogram is contiguous.
    const start = new Int32Array(classes + 1);
    for (let p = 0; p < np; p++) start[pairs.tuple(p)[0]! + 1]!++;
    for (let c = 0; c < classes; c++) start[c + 1]! += start[c]!;
    const fill = start.slice(0, classes);
    const values = new Int32Array(np);
    const counts = new Float64Array(np);
    for (let p = 0; p < np; p++) {
      const tuple = pairs.tuple(p);
      const at = fill[tuple[0]!]!++;
      values[at] = tuple[1]!;
      counts[at] = pairCount[p]!;
    }
    for (let c = 0; c < classes; c++) {
      if (this.classFails[c] === 1) continue;
      const from = start[c]!;
      const n = start[c + 1]! - from;
      if (!check.passes(values.subarray(from), counts.subarray(from), n, this.classSize[c]!))
        this.classFails[c] = 1;
    }
  }
}

export function newChecker(
  table: EncodedTable,
  checks: readonly ClassCheck[],
  k: number,
  suppressionLimit: number,
  metric: LossMetric,
): NodeChecker {
  return new NodeChecker(table, checks, k, suppressionLimit, metric);
}
