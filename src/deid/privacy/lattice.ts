import { deidError } from '../errors.js';
import type { NodeChecker, NodeResult } from './checker.js';

/**
 * Optimal global full-domain generalization: find the lattice node (one generalization level
 * per quasi-identifier) that satisfies the privacy criteria within the suppression limit and
 * has the least loss.
 *
 * The search follows ARX's Flash (Kohlmayer et al., 2012) where it is exact:
 * 1. Predictive tagging. Whether a node is anonymous is monotone along generalization (for
 *    k-anonymity and distinct l-diversity, with or without suppression): a node that passes
 *    tags all its generalizations as passing; one that fails tags all its specializations as
 *    failing. Nodes are visited level by level; from each untagged node a path is walked
 *    upwards through untagged generalizations and classified by binary search on the path.
 * 2. Loss pruning. Every node has a data-free lower bound on its loss (its loss with nothing
 *    suppressed), which only grows with generalization. Nodes whose bound is not below the best
 *    loss found are never checked, and neither are their generalizations.
 * 3. Suppression makes the loss non-monotone (suppressing a row costs more than generalizing
 *    it), so after classification every anonymous node whose bound is still below the best
 *    loss is evaluated, in order of its bound. Without suppression the first anonymous node in
 *    that order is optimal and this step ends at once.
 * When the criteria are not monotone under suppression (entropy l-diversity or t-closeness
 * with a suppression limit above 0), step 1 tags only what k-anonymity alone proves
 * (rows below k can only decrease with generalization) and step 3 covers the rest.
 */
export interface LatticeResult {
  levels: number[];
  result: NodeResult;
  /** Nodes in the lattice, nodes actually grouped and checked. */
  latticeSize: number;
  checks: number;
}

const UNKNOWN = 0;
const PASS = 1;
const FAIL = 2;
const MAX_NODES = 5_000_000;

export class Lattice {
  readonly heights: number[];
  readonly strides: number[];
  readonly size: number;

  constructor(heights: readonly number[], maxLevels?: readonly number[]) {
    this.heights = heights.map((h, i) => Math.min(h, (maxLevels?.[i] ?? h - 1) + 1));
    this.strides = [];
    let s = 1;
    for (const h of this.heights) {
      this.strides.push(s);
      s *= h;
    }
    if (s > MAX_NODES) {
      throw deidError(
        `the generalization lattice has ${s} nodes (more than ${MAX_NODES}); the search would not finish`,
        `泛化格有 ${s} 个节点（超过 ${MAX_NODES}），无法完成搜索`,
        {
          path: 'privacy.quasiIdentifiers',
          hint: 'use fewer quasi-identifiers, shorter hierarchies, or local recoding',
        },
      );
    }
    this.size = s;
  }

  levels(node: number, out: Int32Array = new Int32Array(this.heights.length)): Int32Array {
    for (let i = this.heights.length - 1; i >= 0; i--) {
      out[i] = Math.floor(node / this.strides[i]!) % this.heights[i]!;
    }
    return out;
  }

  height(node: number): number {
    let sum = 0;
    for (let i = 0; i < this.heights.length; i++)
      sum += Math.floor(node / this.strides[i]!) % this.heights[i]!;
    return sum;
  }

  /** Calls `f` for each direct generalization (one level up on one attribute). */
  forSuccessors(node: number, f: (s: number) => void): void {
    for (let i = 0; i < this.heights.length; i++) {
      if (Math.floor(node / this.strides[i]!) % this.heights[i]! < this.heights[i]! - 1)
        f(node + this.strides[i]!);
    }
  }

  forPredecessors(node: number, f: (s: number) => void): void {
    for (let i = 0; i < this.heights.length; i++) {
      if (Math.floor(node / this.strides[i]!) % this.heights[i]! > 0) f(node - this.strides[i]!);
    }
  }
}

export interface SearchOptions {
  /** Highest level allowed per QI (e.g. to keep year of birth at least). */
  maxLevels?: readonly number[];
}

export function optimalSearch(checker: NodeChecker, options: SearchOptions = {}): LatticeResult {
  const lattice = new Lattice(
    checker.table.qis.map((qi) => qi.height),
    options.maxLevels,
  );
  const n = lattice.size;
  const state = new Uint8Array(n);
  const pruned = new Uint8Array(n);
  const results = new Map<number, NodeResult>();
  const lb = new Float64Array(n);
  const heightOf = new Int32Array(n);
  const scratch = new Int32Array(lattice.heights.length);
  for (let v = 0; v < n; v++) {
    lattice.levels(v, scratch);
    lb[v] = checker.lowerBound(scratch);
    heightOf[v] = lattice.height(v);
  }
  const monotone =
    checker.maxSuppressed === 0 || checker.criteriaChecks.every((c) => c.monotoneWithSuppression);

  let best = -1;
  let bestLoss = Infinity;
  const better = (v: number, loss: number) =>
    loss < bestLoss ||
    (loss === bestLoss && (heightOf[v]! < heightOf[best]! || (heightOf[v] === heightOf[best] && v < best)));

  const tag = (start: number, value: Uint8Array, mark: number, up: boolean) => {
    const stack = [start];
    while (stack.length > 0) {
      const v = stack.pop()!;
      const visit = (s: number) => {
        if (value[s] !== mark) {
          value[s] = mark;
          stack.push(s);
        }
      };
      if (up) lattice.forSuccessors(v, visit);
      else lattice.forPredecessors(v, visit);
    }
  };

  const check = (v: number): NodeResult => {
    const known = results.get(v);
    if (known) return known;
    const r = checker.evaluate(lattice.levels(v, scratch));
    results.set(v, r);
    if (r.anonymous) {
      if (monotone && state[v] !== PASS) {
        state[v] = PASS;
        tag(v, state, PASS, true);
      }
      state[v] = PASS;
      if (better(v, r.loss)) {
        best = v;
        bestLoss = r.loss;
      }
    } else {
      state[v] = FAIL;
    }
    if (!r.anonymous && (monotone || r.belowK > checker.maxSuppressed)) tag(v, state, FAIL, false);
    if (r.lowerBoundUp >= bestLoss && best !== v) tag(v, pruned, 1, true);
    return r;
  };

  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => heightOf[a]! - heightOf[b]! || lb[a]! - lb[b]! || a - b,
  );

  if (monotone) {
    // Step 1: classify by paths and binary search, skipping what the bound already rules out.
    for (const v of order) {
      if (state[v] !== UNKNOWN || pruned[v] === 1 || lb[v]! >= bestLoss) continue;
      const path = [v];
      let cur = v;
      for (;;) {
        let next = -1;
        lattice.forSuccessors(cur, (s) => {
          if (
            state[s] === UNKNOWN &&
            pruned[s] === 0 &&
            lb[s]! < bestLoss &&
            (next === -1 || lb[s]! < lb[next]!)
          )
            next = s;
        });
        if (next === -1) break;
        path.push(next);
        cur = next;
      }
      let lo = 0;
      let hi = path.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const node = path[mid]!;
        const anonymous = state[node] === PASS ? true : state[node] === FAIL ? false : check(node).anonymous;
        if (anonymous) hi = mid - 1;
        else lo = mid + 1;
      }
    }
  }

  // Step 3: evaluate every remaining candidate whose bound can still beat the best.
  const byBound = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => lb[a]! - lb[b]! || heightOf[a]! - heightOf[b]! || a - b,
  );
  for (const v of byBound) {
    if (lb[v]! >= bestLoss && best !== -1) break;
    if (state[v] === FAIL || pruned[v] === 1 || results.has(v)) continue;
    check(v);
  }

  if (best === -1) {
    throw deidError(
      'no generalization satisfies the privacy models within the suppression limit, not even the most general one',
      '在记录抑制上限内，没有任何泛化方案能满足隐私模型（包括最高层泛化）',
      {
        path: 'privacy',
        hint: 'raise the suppression limit, lower k / l / raise t, or add quasi-identifier levels',
      },
    );
  }
  return {
    levels: [...lattice.levels(best)],
    result: results.get(best)!,
    latticeSize: n,
    checks: checker.checks,
  };
}

/** Checks every node: the reference for tests on small lattices. */
export function exhaustiveSearch(
  checker: NodeChecker,
  options: SearchOptions = {},
): LatticeResult | undefined {
  const lattice = new Lattice(
    checker.table.qis.map((qi) => qi.height),
    options.maxLevels,
  );
  let best: { v: number; r: NodeResult } | undefined;
  for (let v = 0; v < lattice.size; v++) {
    const r = checker.evaluate(lattice.levels(v));
    if (r.anonymous && (best === undefined || r.loss < best.r.loss)) best = { v, r };
  }
  if (best === undefined) return undefined;
  return {
    levels: [...lattice.levels(best.v)],
    result: best.r,
    latticeSize: lattice.size,
    checks: checker.checks,
  };
}
