import { deidError } from '../errors.js';
import type { Hierarchy } from '../operators/hierarchy.js';
import { chainOf } from '../operators/hierarchy.js';
import type { EncodedSensitive, EncodedTable } from './encode.js';

/** The privacy models a release must satisfy (GB/T 37964 "formal models"; ARX's criteria). */
export type PrivacyCriterion =
  | { kind: 'k-anonymity'; k: number }
  | { kind: 'distinct-l-diversity'; attribute: string; l: number }
  | { kind: 'entropy-l-diversity'; attribute: string; l: number }
  | {
      kind: 't-closeness';
      attribute: string;
      t: number;
      /** equal: every two values are 1 apart; hierarchical: distance through the hierarchy; ordered: by rank. */
      distance: 'equal' | 'hierarchical' | 'ordered';
      hierarchy?: Hierarchy;
    };

/** Checks one equivalence class's distribution of one sensitive attribute. */
export interface ClassCheck {
  readonly attribute: number;
  readonly label: string;
  /**
   * True when the class passes. `values[0..n)` are value ids present in the class, `counts`
   * their multiplicities, `size` their sum.
   */
  passes(values: Int32Array, counts: Float64Array, n: number, size: number): boolean;
  /**
   * True when merging classes that pass can never produce one that fails, and a class
   * that passes keeps passing when merged with anything (distinct l-diversity has both;
   * entropy l-diversity and t-closeness only the first). The lattice search uses this to
   * decide whether predictive tagging stays exact with record suppression.
   */
  readonly monotoneWithSuppression: boolean;
}

export function kOf(criteria: readonly PrivacyCriterion[]): number {
  let k = 1;
  for (const c of criteria) if (c.kind === 'k-anonymity') k = Math.max(k, c.k);
  return k;
}

/** Validates the criteria against the table and prepares their per-class checks. */
export function prepareChecks(criteria: readonly PrivacyCriterion[], table: EncodedTable): ClassCheck[] {
  const k = kOf(criteria);
  if (k > table.rows) {
    throw deidError(
      `k = ${k} is larger than the number of rows (${table.rows}): no release can be ${k}-anonymous`,
      `k = ${k} 大于记录数（${table.rows}），无法满足 ${k}-匿名`,
      { path: 'privacy.k', hint: 'lower k or de-identify a larger extract' },
    );
  }
  const checks: ClassCheck[] = [];
  for (const c of criteria) {
    if (c.kind === 'k-anonymity') {
      if (!Number.isInteger(c.k) || c.k < 1) {
        throw deidError(`k must be a positive integer (got ${c.k})`, `k 必须是正整数（当前 ${c.k}）`, {
          path: 'privacy.k',
        });
      }
      continue;
    }
    const index = table.sensitive.findIndex((s) => s.name === c.attribute);
    const sensitive = table.sensitive[index];
    if (sensitive === undefined) {
      throw deidError(
        `privacy model ${c.kind} names "${c.attribute}", which is not a sensitive attribute of the table`,
        `隐私模型 ${c.kind} 指定的“${c.attribute}”不是数据表的敏感属性`,
        { path: `privacy.sensitive.${c.attribute}` },
      );
    }
    if (c.kind === 'distinct-l-diversity' || c.kind === 'entropy-l-diversity') {
      if (!(c.l >= 1)) {
        throw deidError(`l must be at least 1 (got ${c.l})`, `l 必须不小于 1（当前 ${c.l}）`, {
          path: `privacy.sensitive.${c.attribute}.l`,
        });
      }
      checks.push(c.kind === 'distinct-l-diversity' ? distinctL(index, c.l) : entropyL(index, c.l));
    } else {
      if (!(c.t >= 0 && c.t <= 1)) {
        throw deidError(`t must be between 0 and 1 (got ${c.t})`, `t 必须在 0 到 1 之间（当前 ${c.t}）`, {
          path: `privacy.sensitive.${c.attribute}.t`,
        });
      }
      checks.push(tCloseness(index, sensitive, c.t, c.distance, c.hierarchy));
    }
  }
  return checks;
}

function distinctL(attribute: number, l: number): ClassCheck {
  return {
    attribute,
    label: `distinct-${l}-diversity`,
    monotoneWithSuppression: true,
    passes: (_values, _counts, n) => n >= l,
  };
}

function entropyL(attribute: number, l: number): ClassCheck {
  const threshold = Math.log(l) - 1e-12;
  return {
    attribute,
    label: `entropy-${l}-diversity`,
    monotoneWithSuppression: false,
    passes(_values, counts, n, size) {
      if (n < l) return false;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const c = counts[i]!;
        sum += c * Math.log(c);
      }
      return Math.log(size) - sum / size >= threshold;
    },
  };
}

/** Earth mover's distance of each flavour, between a class and the whole table. */
export function tCloseness(
  attribute: number,
  sensitive: EncodedSensitive,
  t: number,
  distance: 'equal' | 'hierarchical' | 'ordered',
  hierarchy?: Hierarchy,
): ClassCheck {
  const emd = emdFunction(sensitive, distance, hierarchy);
  return {
    attribute,
    label: `${t}-closeness (${distance})`,
    monotoneWithSuppression: false,
    passes: (values, counts, n, size) => emd(values, counts, n, size) <= t + 1e-12,
  };
}

export type Emd = (values: Int32Array, counts: Float64Array, n: number, size: number) => number;

export function emdFunction(
  sensitive: EncodedSensitive,
  distance: 'equal' | 'hierarchical' | 'ordered',
  hierarchy?: Hierarchy,
): Emd {
  const q = sensitive.global;
  const d = q.length;
  const p = new Float64Array(d);
  const load = (values: Int32Array, counts: Float64Array, n: number, size: number) => {
    p.fill(0);
    for (let i = 0; i < n; i++) p[values[i]!] = counts[i]! / size;
  };
  if (distance === 'equal') {
    return (values, counts, n, size) => {
      // 0.5 * sum |p - q|, touching only the values present in the class
      let sum = 1;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        const pv = counts[i]! / size;
        sum += Math.abs(pv - q[v]!) - q[v]!;
      }
      return Math.max(0, sum / 2);
    };
  }
  if (distance === 'ordered') {
    const order = [...sensitive.labels.keys()].sort((a, b) =>
      compareLabels(sensitive.labels[a]!, sensitive.labels[b]!),
    );
    return (values, counts, n, size) => {
      if (d < 2) return 0;
      load(values, counts, n, size);
      let cum = 0;
      let sum = 0;
      for (const v of order) {
        cum += p[v]! - q[v]!;
        sum += Math.abs(cum);
      }
      return sum / (d - 1);
    };
  }
  if (hierarchy === undefined) {
    throw deidError(
      `t-closeness with hierarchical distance on "${sensitive.name}" needs a hierarchy`,
      `敏感属性“${sensitive.name}”的层级距离 t-近邻需要泛化层级`,
      { path: `privacy.sensitive.${sensitive.name}.hierarchy` },
    );
  }
  // parentAt[l][node at level l-1] = node at level l; the root is level H = height - 1.
  const chains = sensitive.labels.map((v) => chainOf(hierarchy, v, sensitive.name));
  const height = hierarchy.height - 1;
  const parentAt: Int32Array[] = [];
  const nodesAt: number[] = [d];
  let prevIds: number[] = chains.map((_, i) => i);
  let prevCount = d;
  for (let l = 1; l <= height; l++) {
    const ids = new Map<string, number>();
    const parent = new Int32Array(prevCount);
    const next: number[] = [];
    chains.forEach((chain, v) => {
      let id = ids.get(chain[l]!);
      if (id === undefined) {
        id = ids.size;
        ids.set(chain[l]!, id);
      }
      parent[prevIds[v]!] = id;
      next.push(id);
    });
    parentAt.push(parent);
    nodesAt.push(ids.size);
    prevIds = next;
    prevCount = ids.size;
  }
  const extra = parentAt.map((par) => new Float64Array(par.length));
  const buffers = parentAt.map((_, i) => ({
    pos: new Float64Array(nodesAt[i + 1]!),
    neg: new Float64Array(nodesAt[i + 1]!),
  }));
  return (values, counts, n, size) => {
    if (height < 1) return 0;
    load(values, counts, n, size);
    const leafExtra = extra[0]!;
    for (let v = 0; v < d; v++) leafExtra[v] = p[v]! - q[v]!;
    let cost = 0;
    for (let l = 1; l <= height; l++) {
      const par = parentAt[l - 1]!;
      const child = extra[l - 1]!;
      const { pos: ps, neg: ng } = buffers[l - 1]!;
      ps.fill(0);
      ng.fill(0);
      for (let c = 0; c < par.length; c++) {
        const e = child[c]!;
        if (e > 0) ps[par[c]!]! += e;
        else ng[par[c]!]! -= e;
      }
      const next = extra[l];
      for (let node = 0; node < ps.length; node++) {
        cost += (l / height) * Math.min(ps[node]!, ng[node]!);
        if (next !== undefined) next[node] = ps[node]! - ng[node]!;
      }
    }
    return cost;
  };
}

function compareLabels(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
