import type { ClassCheck } from './criteria.js';
import type { EncodedTable } from './encode.js';
import type { Recoding } from './recoding.js';
import { levelOf } from './recoding.js';

export interface Verification {
  criterion: string;
  holds: boolean;
  /** Classes that break it (0 when it holds). */
  failingClasses: number;
}

/**
 * The "verify" step of GB/T 37964: recompute the equivalence classes of the released rows from
 * scratch (independently of the search) and check every criterion on them.
 */
export function verifyRelease(
  table: EncodedTable,
  rec: Recoding,
  checks: readonly ClassCheck[],
  k: number,
): Verification[] {
  const q = table.qis.length;
  const classes = new Map<string, number[]>();
  for (let r = 0; r < table.rows; r++) {
    if (rec.suppressed[r] === 1) continue;
    const parts: string[] = [];
    for (let i = 0; i < q; i++) {
      const qi = table.qis[i]!;
      const level = levelOf(rec, i, r);
      parts.push(qi.labels[level]![qi.levelMap[level]![qi.codes[r]!]!]!);
    }
    const key = parts.join('\u0000');
    let rows = classes.get(key);
    if (rows === undefined) classes.set(key, (rows = []));
    rows.push(r);
  }
  const out: Verification[] = [];
  let belowK = 0;
  for (const rows of classes.values()) if (rows.length < k) belowK++;
  out.push({ criterion: `${k}-anonymity`, holds: belowK === 0, failingClasses: belowK });
  for (const check of checks) {
    const codes = table.sensitive[check.attribute]!.codes;
    let failing = 0;
    for (const rows of classes.values()) {
      const hist = new Map<number, number>();
      for (const r of rows) hist.set(codes[r]!, (hist.get(codes[r]!) ?? 0) + 1);
      const values = Int32Array.from(hist.keys());
      const counts = Float64Array.from(hist.values());
      if (!check.passes(values, counts, values.length, rows.length)) failing++;
    }
    out.push({ criterion: check.label, holds: failing === 0, failingClasses: failing });
  }
  return out;
}
