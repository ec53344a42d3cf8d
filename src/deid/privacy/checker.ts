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

export interface CheckerOptions {
  /**
   * Roll-up (ARX): group a node from the cached classes of a checked node below it instead
   * of from every distinct bottom tuple. On by default when every hierarchy is a tree.
   */
  rollUp?: boolean;
  /**
   * Most entries (classes plus histogram pairs) kept in the roll-up cache, least recently used
   * evicted first: the memory bound, about 12 bytes a class and 16 a pair. Default 2,000,000.
   */
  cacheEntries?: number;
  /** Largest key space grouped by direct addressing (default 2^16, cache-sized; 0 = never). */
  denseLimit?: number;
  /** Test hook: group with numeric keys when the key space fits (default true). */
  numericKeys?: boolean;
}

/**
 * The equivalence classes of one checked node: a bottom tuple standing for each class, its
 * row count and, per sensitive attribute the criteria read, its histogram as (class, value,
 * count) triples. The classes of any generalization of the node are unions of these.
 */
interface Snapshot {
  readonly levels: Int32Array;
  readonly classes: number;
  readonly rep: Int32Array;
  readonly count: Float64Array;
  readonly pairs: readonly Pairs[];
  used: number;
}

interface Pairs {
  n: number;
  cls: Int32Array;
  val: Int32Array;
  cnt: Float64Array;
}

const MAX_EXACT = 2 ** 53;

/**
 * Evaluates transformations against the privacy criteria. Rows are first collapsed into the
 * distinct tuples of (quasi-identifiers, sensitive values) with counts. A check groups either
 * those tuples or, with roll-up, the classes of a cached node below it: the generalized ids
 * of a class's representative tuple are folded into one mixed-radix number, grouped by direct
 * addressing when the key space is small and by an open-addressing table of numbers otherwise
 * (tuples of ids only when the key space passes 2^53). Everything is typed arrays reused from
 * check to check.
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
  /** Whether classes are rolled up from cached nodes (false when a hierarchy is not a tree). */
  readonly rollUp: boolean;
  /** gen[i][l][j]: id at level l of QI i for bottom tuple j. */
  readonly #gen: Int32Array[][];
  /** card[i][l]: distinct ids of QI i at level l. */
  readonly #card: number[][];
  /** The sensitive attributes the criteria read, and sens[x][j] for bottom tuple j. */
  readonly #usedSensitive: number[];
  readonly #sens: Int32Array[];
  readonly #checkSlot: number[];
  readonly #bottom: Snapshot;
  readonly #cache: Snapshot[] = [];
  readonly #cacheLimit: number;
  #cacheSize = 0;
  #clock = 0;
  readonly #denseLimit: number;
  readonly #numericKeys: boolean;
  // Grouping scratch, sized for the bottom (the largest source).
  #denseStamp = new Int32Array(0);
  #denseId = new Int32Array(0);
  #epoch = 0;
  #hashKeys: Float64Array;
  #hashIds: Int32Array;
  readonly #hashSlotOf: Int32Array;
  readonly #tuples: TupleTable;
  readonly #scratch: Int32Array;
  /** Cardinality per QI at the node being checked: the radices of its class keys. */
  readonly #radix: Float64Array;
  readonly #srcClass: Int32Array;
  readonly #rep: Int32Array;
  /** Per sensitive attribute: scratch for one class's histogram and the rolled-up pairs. */
  readonly #acc: Float64Array[];
  readonly #histValues: Int32Array;
  readonly #histCounts: Float64Array;
  readonly #order: Int32Array;
  readonly #start: Int32Array;
  readonly #pairsOut: Pairs[];
  /** Bottom tuple -> class, only after an evaluation from the bottom (see `classifyBottom`). */
  classOf: Int32Array;
  classSize: Float64Array;
  classFails: Uint8Array;
  checks = 0;
  /** Source entries (bottom tuples or cached classes) grouped over all checks: the work done. */
  grouped = 0;
  /** Checks rolled up from a cached node rather than grouped from the bottom. */
  rolledUp = 0;

  constructor(
    readonly table: EncodedTable,
    readonly criteriaChecks: readonly ClassCheck[],
    k: number,
    suppressionLimit: number,
    readonly metric: LossMetric,
    options: CheckerOptions = {},
  ) {
    this.q = table.qis.length;
    this.rows = table.rows;
    this.k = k;
    this.maxSuppressed = Math.floor(suppressionLimit * table.rows + 1e-9);
    this.tables = lossTables(table, metric);
    const usedSensitive = [...new Set(criteriaChecks.map((c) => c.attribute))].sort((a, b) => a - b);
    this.#usedSensitive = usedSensitive;
    this.#checkSlot = criteriaChecks.map((c) => usedSensitive.indexOf(c.attribute));
    const width = this.q + usedSensitive.length;
    const bottom = new TupleTable(width, 1024);
    const scratch = new Int32Array(width);
    this.rowToBottom = new Int32Array(table.rows);
    for (let r = 0; r < table.rows; r++) {
      for (let i = 0; i < this.q; i++) scratch[i] = table.qis[i]!.codes[r]!;
      for (let x = 0; x < usedSensitive.length; x++)
        scratch[this.q + x] = table.sensitive[usedSensitive[x]!]!.codes[r]!;
      this.rowToBottom[r] = bottom.idOf(scratch);
    }
    const m = bottom.size;
    this.bottomCount = new Float64Array(m);
    // The first row of each bottom tuple: its codes are the tuple's.
    const firstRow = new Int32Array(m);
    for (let r = table.rows - 1; r >= 0; r--) {
      const j = this.rowToBottom[r]!;
      this.bottomCount[j]!++;
      firstRow[j] = r;
    }
    this.#gen = table.qis.map((qi) =>
      qi.levelMap.map((map) => {
        const out = new Int32Array(m);
        for (let j = 0; j < m; j++) out[j] = map[qi.codes[firstRow[j]!]!]!;
        return out;
      }),
    );
    this.#card = table.qis.map((qi) => qi.labels.map((l) => Math.max(1, l.length)));
    this.#sens = usedSensitive.map((a) => {
      const codes = table.sensitive[a]!.codes;
      const out = new Int32Array(m);
      for (let j = 0; j < m; j++) out[j] = codes[firstRow[j]!]!;
      return out;
    });
    const identity = new Int32Array(m);
    for (let j = 0; j < m; j++) identity[j] = j;
    this.#bottom = {
      levels: new Int32Array(this.q),
      classes: m,
      rep: identity,
      count: this.bottomCount,
      pairs: this.#sens.map((val) => ({ n: m, cls: identity, val, cnt: this.bottomCount })),
      used: 0,
    };
    this.rollUp = (options.rollUp ?? true) && table.qis.every(isTree);
    this.#cacheLimit = options.cacheEntries ?? 2_000_000;
    this.#denseLimit = options.denseLimit ?? 1 << 16;
    this.#numericKeys = options.numericKeys ?? true;
    let cap = 16;
    while (cap < 2 * m) cap *= 2;
    this.#hashKeys = new Float64Array(cap);
    this.#hashIds = new Int32Array(cap);
    this.#hashKeys.fill(-1);
    this.#hashSlotOf = new Int32Array(m);
    this.#tuples = new TupleTable(this.q, m);
    this.#scratch = new Int32Array(Math.max(this.q, 1));
    this.#radix = new Float64Array(this.q);
    this.#srcClass = new Int32Array(m);
    this.#rep = new Int32Array(m);
    this.#acc = usedSensitive.map((a) => new Float64Array(table.sensitive[a]!.labels.length));
    const widest = Math.max(1, ...usedSensitive.map((a) => table.sensitive[a]!.labels.length));
    this.#histValues = new Int32Array(widest);
    this.#histCounts = new Float64Array(widest);
    this.#order = new Int32Array(m);
    this.#start = new Int32Array(m + 1);
    this.#pairsOut = usedSensitive.map(() => ({
      n: 0,
      cls: new Int32Array(m),
      val: new Int32Array(m),
      cnt: new Float64Array(m),
    }));
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

  /** Groups the table at `levels` (rolled up from a cached node below when possible) and checks every class. */
  evaluate(levels: ArrayLike<number>): NodeResult {
    return this.#evaluate(levels, this.rollUp ? this.#sourceFor(levels) : this.#bottom);
  }

  /**
   * Groups from the distinct bottom tuples (no roll-up) and leaves `classOf` (bottom tuple ->
   * class) and `classFails` filled: what materializing a node needs.
   */
  classifyBottom(levels: ArrayLike<number>): NodeResult {
    return this.#evaluate(levels, this.#bottom);
  }

  /** Cached nodes held for roll-up (for tests and reports). */
  get cachedNodes(): number {
    return this.#cache.length;
  }

  /** The cached node below `levels` with the fewest classes, or the bottom. */
  #sourceFor(levels: ArrayLike<number>): Snapshot {
    let best = this.#bottom;
    const q = this.q;
    for (const s of this.#cache) {
      if (s.classes >= best.classes) continue;
      let below = true;
      for (let i = 0; i < q; i++) {
        if (s.levels[i]! > levels[i]!) {
          below = false;
          break;
        }
      }
      if (below) best = s;
    }
    best.used = ++this.#clock;
    return best;
  }

  #evaluate(levels: ArrayLike<number>, source: Snapshot): NodeResult {
    this.checks++;
    this.grouped += source.classes;
    if (source !== this.#bottom) this.rolledUp++;
    const q = this.q;
    const cols: Int32Array[] = [];
    let space = 1;
    for (let i = 0; i < q; i++) {
      cols.push(this.#gen[i]![levels[i]!]!);
      this.#radix[i] = this.#card[i]![levels[i]!]!;
      space *= this.#radix[i]!;
    }
    const classes = this.#group(source, cols, space);
    const size = this.classSize;
    const fails = this.classFails;
    const rep = this.#rep;
    fails.fill(0, 0, classes);
    let belowK = 0;
    for (let c = 0; c < classes; c++) {
      if (size[c]! < this.k) {
        fails[c] = 1;
        belowK += size[c]!;
      }
    }
    const keep = this.rollUp && source.classes > classes;
    for (let x = 0; x < this.#usedSensitive.length; x++) this.#rollPairs(source, x, classes);
    for (let n = 0; n < this.criteriaChecks.length; n++)
      this.#applyCheck(this.criteriaChecks[n]!, this.#checkSlot[n]!, classes);
    let suppressed = 0;
    let correction = 0;
    let squares = 0;
    let failingSquares = 0;
    const t = this.tables;
    const loss = this.metric !== 'discernibility';
    const cells: Float64Array[] = [];
    if (loss) for (let i = 0; i < q; i++) cells.push(t.cell[i]![levels[i]!]!);
    let suppressedRow = 0;
    for (let i = 0; i < q; i++) suppressedRow += t.suppressedCell[i]!;
    for (let c = 0; c < classes; c++) {
      const s = size[c]!;
      squares += s * s;
      if (fails[c] === 0) continue;
      suppressed += s;
      failingSquares += s * s;
      if (!loss) continue;
      const j = rep[c]!;
      let perRow = suppressedRow;
      for (let i = 0; i < q; i++) perRow -= cells[i]![cols[i]![j]!]!;
      correction += s * perRow;
    }
    if (keep) this.#remember(levels, classes);
    const anonymous = suppressed <= this.maxSuppressed;
    if (!loss) {
      const value = squares - failingSquares + suppressed * this.rows;
      return { suppressed, belowK, anonymous, loss: value, lowerBoundUp: squares, classes };
    }
    const lb = this.lowerBound(levels);
    return { suppressed, belowK, anonymous, loss: lb + correction / t.scale, lowerBoundUp: lb, classes };
  }

  /**
   * Maps every class of `source` to its class at the node of `cols`: fills #srcClass (source
   * class -> class), #rep (class -> bottom tuple), classSize, and classOf when the source is
   * the bottom. Returns the number of classes.
   */
  #group(source: Snapshot, cols: Int32Array[], space: number): number {
    const n = source.classes;
    const srcRep = source.rep;
    const srcCount = source.count;
    const srcClass = this.#srcClass;
    const rep = this.#rep;
    const size = this.classSize;
    let classes = 0;
    if (this.#numericKeys && space <= this.#denseLimit) {
      if (this.#denseStamp.length < space) {
        let cap = 1024;
        while (cap < space) cap *= 2;
        this.#denseStamp = new Int32Array(cap);
        this.#denseId = new Int32Array(cap);
      }
      const epoch = ++this.#epoch;
      const stamp = this.#denseStamp;
      const ids = this.#denseId;
      for (let s = 0; s < n; s++) {
        const j = srcRep[s]!;
        const key = this.#keyOf(cols, j);
        let c: number;
        if (stamp[key] === epoch) c = ids[key]!;
        else {
          stamp[key] = epoch;
          c = ids[key] = classes++;
          rep[c] = j;
          size[c] = 0;
        }
        srcClass[s] = c;
        size[c]! += srcCount[s]!;
      }
    } else if (this.#numericKeys && space <= MAX_EXACT) {
      // Empty slots hold -1; the slots used are emptied again afterwards.
      const keys = this.#hashKeys;
      const ids = this.#hashIds;
      const slotOf = this.#hashSlotOf;
      let mask = 15;
      while (mask + 1 < 2 * n) mask = mask * 2 + 1;
      for (let s = 0; s < n; s++) {
        const j = srcRep[s]!;
        const key = this.#keyOf(cols, j);
        let h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1), 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        let slot = h & mask;
        let c = -1;
        for (;;) {
          const k = keys[slot]!;
          if (k === key) {
            c = ids[slot]!;
            break;
          }
          if (k === -1) break;
          slot = (slot + 1) & mask;
        }
        if (c === -1) {
          keys[slot] = key;
          c = ids[slot] = classes++;
          slotOf[c] = slot;
          rep[c] = j;
          size[c] = 0;
        }
        srcClass[s] = c;
        size[c]! += srcCount[s]!;
      }
      for (let c = 0; c < classes; c++) keys[slotOf[c]!] = -1;
    } else {
      const tuples = this.#tuples;
      tuples.clear();
      const scratch = this.#scratch;
      const q = this.q;
      for (let s = 0; s < n; s++) {
        const j = srcRep[s]!;
        for (let i = 0; i < q; i++) scratch[i] = cols[i]![j]!;
        const c = tuples.idOf(scratch);
        if (c === classes) {
          classes++;
          rep[c] = j;
          size[c] = 0;
        }
        srcClass[s] = c;
        size[c]! += srcCount[s]!;
      }
    }
    if (this.#epoch > 0x3fffffff) this.#resetStamps();
    if (source === this.#bottom) this.classOf.set(srcClass.subarray(0, n));
    return classes;
  }

  #keyOf(cols: Int32Array[], j: number): number {
    let key = 0;
    const radix = this.#radix;
    for (let i = 0; i < cols.length; i++) key = key * radix[i]! + cols[i]![j]!;
    return key;
  }

  #resetStamps(): void {
    this.#denseStamp.fill(0);
    this.#epoch = 0;
  }

  /** Rolls the (class, value, count) triples of one sensitive attribute up to the new classes, grouped by class. */
  #rollPairs(source: Snapshot, x: number, classes: number): void {
    const from = source.pairs[x]!;
    const out = this.#pairsOut[x]!;
    const srcClass = this.#srcClass;
    const start = this.#start;
    const order = this.#order;
    start.fill(0, 0, classes + 1);
    for (let p = 0; p < from.n; p++) start[srcClass[from.cls[p]!]! + 1]!++;
    for (let c = 0; c < classes; c++) start[c + 1]! += start[c]!;
    for (let p = 0; p < from.n; p++) order[start[srcClass[from.cls[p]!]!]!++] = p;
    // start[c] is now the end of class c's run.
    const acc = this.#acc[x]!;
    const values = this.#histValues;
    let written = 0;
    let begin = 0;
    for (let c = 0; c < classes; c++) {
      const end = start[c]!;
      let distinct = 0;
      for (let o = begin; o < end; o++) {
        const p = order[o]!;
        const v = from.val[p]!;
        if (acc[v] === 0) values[distinct++] = v;
        acc[v]! += from.cnt[p]!;
      }
      for (let d = 0; d < distinct; d++) {
        const v = values[d]!;
        out.cls[written] = c;
        out.val[written] = v;
        out.cnt[written++] = acc[v]!;
        acc[v] = 0;
      }
      begin = end;
    }
    out.n = written;
  }

  /** Marks classes that fail one criterion, from the rolled-up histograms. */
  #applyCheck(check: ClassCheck, x: number, classes: number): void {
    const pairs = this.#pairsOut[x]!;
    const values = this.#histValues;
    const counts = this.#histCounts;
    let p = 0;
    for (let c = 0; c < classes; c++) {
      let n = 0;
      while (p < pairs.n && pairs.cls[p] === c) {
        values[n] = pairs.val[p]!;
        counts[n++] = pairs.cnt[p++]!;
      }
      if (this.classFails[c] === 1) continue;
      if (!check.passes(values, counts, n, this.classSize[c]!)) this.classFails[c] = 1;
    }
  }

  /** Caches the classes just computed, evicting the least recently used nodes past the bound. */
  #remember(levels: ArrayLike<number>, classes: number): void {
    const pairs = this.#pairsOut.map((p) => ({
      n: p.n,
      cls: p.cls.slice(0, p.n),
      val: p.val.slice(0, p.n),
      cnt: p.cnt.slice(0, p.n),
    }));
    const entries = classes + pairs.reduce((a, p) => a + p.n, 0);
    if (entries > this.#cacheLimit) return;
    while (this.#cacheSize + entries > this.#cacheLimit && this.#cache.length > 0) {
      let oldest = 0;
      for (let i = 1; i < this.#cache.length; i++)
        if (this.#cache[i]!.used < this.#cache[oldest]!.used) oldest = i;
      const [gone] = this.#cache.splice(oldest, 1);
      this.#cacheSize -= gone!.classes + gone!.pairs.reduce((a, p) => a + p.n, 0);
    }
    this.#cache.push({
      levels: Int32Array.from(levels as ArrayLike<number>),
      classes,
      rep: this.#rep.slice(0, classes),
      count: this.classSize.slice(0, classes),
      pairs,
      used: ++this.#clock,
    });
    this.#cacheSize += entries;
  }
}

/** True when each generalized value has one parent at the next level (so classes only merge upwards). */
function isTree(qi: EncodedTable['qis'][number]): boolean {
  for (let l = 0; l + 1 < qi.levelMap.length; l++) {
    const parent = new Int32Array(qi.labels[l]!.length).fill(-1);
    const lower = qi.levelMap[l]!;
    const upper = qi.levelMap[l + 1]!;
    for (let id0 = 0; id0 < lower.length; id0++) {
      const a = lower[id0]!;
      if (parent[a] === -1) parent[a] = upper[id0]!;
      else if (parent[a] !== upper[id0]) return false;
    }
  }
  return true;
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
