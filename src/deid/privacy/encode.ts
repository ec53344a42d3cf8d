import { deidError } from '../errors.js';
import type { Hierarchy } from '../operators/hierarchy.js';
import { chainOf } from '../operators/hierarchy.js';

/**
 * Quasi-identifier columns encoded as integer ids: level-0 codes per row, and per level a map
 * from level-0 id to the id of its generalization. Everything the lattice search touches is a
 * typed array; strings only come back when the output is written.
 */
export interface EncodedQi {
  readonly name: string;
  readonly hierarchy: Hierarchy;
  readonly height: number;
  /** Level-0 id of each row. */
  readonly codes: Int32Array;
  /** levelMap[l][id0] = id of the generalization at level l. */
  readonly levelMap: readonly Int32Array[];
  /** labels[l][idL] = the generalized value. */
  readonly labels: readonly (readonly string[])[];
  /** leaves[l][idL] = how many distinct level-0 values (in the data) lie under it. */
  readonly leaves: readonly Float64Array[];
  /** freq[l][idL] = how many rows carry that generalized value. */
  readonly freq: readonly Float64Array[];
}

export interface EncodedSensitive {
  readonly name: string;
  readonly codes: Int32Array;
  readonly labels: readonly string[];
  /** The share of each value in the whole table (the reference distribution of t-closeness). */
  readonly global: Float64Array;
}

export interface EncodedTable {
  readonly rows: number;
  readonly qis: readonly EncodedQi[];
  readonly sensitive: readonly EncodedSensitive[];
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

class Dictionary {
  readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  idOf(v: string): number {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(v, id);
      this.values.push(v);
    }
    return id;
  }
}

export interface QiSpec {
  name: string;
  hierarchy: Hierarchy;
}

/**
 * Builds an EncodedTable one row at a time (the first pass of a streamed run keeps only these
 * integer columns, not the rows). Values missing from a hierarchy fail at once, naming value
 * and column.
 */
export class TableEncoder {
  readonly #qis: { spec: QiSpec; dict: Dictionary; codes: GrowableInt32; chains: (readonly string[])[] }[];
  readonly #sensitive: { name: string; dict: Dictionary; codes: GrowableInt32 }[];
  #rows = 0;

  constructor(qis: readonly QiSpec[], sensitive: readonly string[] = []) {
    this.#qis = qis.map((spec) => ({ spec, dict: new Dictionary(), codes: new GrowableInt32(), chains: [] }));
    this.#sensitive = sensitive.map((name) => ({ name, dict: new Dictionary(), codes: new GrowableInt32() }));
  }

  /** Adds one row; `get(column)` returns the cell as a string. */
  add(get: (column: string) => string): void {
    for (const q of this.#qis) {
      const v = get(q.spec.name);
      const before = q.dict.values.length;
      const id = q.dict.idOf(v);
      if (id === before) q.chains.push(chainOf(q.spec.hierarchy, v, q.spec.name));
      q.codes.push(id);
    }
    for (const s of this.#sensitive) s.codes.push(s.dict.idOf(get(s.name)));
    this.#rows++;
  }

  finish(): EncodedTable {
    const rows = this.#rows;
    const qis = this.#qis.map(({ spec, dict, codes, chains }): EncodedQi => {
      const h = spec.hierarchy.height;
      const codeArr = codes.done();
      const levelMap: Int32Array[] = [];
      const labels: string[][] = [];
      const leaves: Float64Array[] = [];
      const freq: Float64Array[] = [];
      const count0 = new Float64Array(dict.values.length);
      for (let r = 0; r < rows; r++) count0[codeArr[r]!]!++;
      for (let l = 0; l < h; l++) {
        const d = new Dictionary();
        const map = new Int32Array(dict.values.length);
        chains.forEach((chain, id0) => {
          if (chain.length !== h) {
            throw deidError(
              `hierarchy "${spec.hierarchy.name}" gives value "${dict.values[id0]}" of column "${spec.name}" ${chain.length} levels, expected ${h}`,
              `列“${spec.name}”的取值“${dict.values[id0]}”在泛化层级中有 ${chain.length} 层，应为 ${h} 层`,
              { path: spec.name },
            );
          }
          map[id0] = d.idOf(chain[l]!);
        });
        const lv = new Float64Array(d.values.length);
        const fq = new Float64Array(d.values.length);
        for (let id0 = 0; id0 < map.length; id0++) {
          lv[map[id0]!]!++;
          fq[map[id0]!]! += count0[id0]!;
        }
        levelMap.push(map);
        labels.push(d.values);
        leaves.push(lv);
        freq.push(fq);
      }
      return {
        name: spec.name,
        hierarchy: spec.hierarchy,
        height: h,
        codes: codeArr,
        levelMap,
        labels,
        leaves,
        freq,
      };
    });
    const sensitive = this.#sensitive.map(({ name, dict, codes }): EncodedSensitive => {
      const c = codes.done();
      const global = new Float64Array(dict.values.length);
      for (let r = 0; r < rows; r++) global[c[r]!]! += 1 / rows;
      return { name, codes: c, labels: dict.values, global };
    });
    return { rows, qis, sensitive };
  }
}

/** Encodes an in-memory table (tests, the API, small extracts). */
export function encodeRows(
  rows: readonly Readonly<Record<string, string>>[],
  qis: readonly QiSpec[],
  sensitive: readonly string[] = [],
): EncodedTable {
  const enc = new TableEncoder(qis, sensitive);
  for (const row of rows) enc.add((c) => row[c] ?? '');
  return enc.finish();
}
