import type { NodeChecker } from './checker.js';
import type { EncodedTable } from './encode.js';
import type { LocalRecoding } from './local.js';

/** How each row's quasi-identifiers are generalized, and which rows are suppressed. */
export type Recoding =
  | { kind: 'none'; suppressed: Uint8Array }
  | { kind: 'global'; levels: readonly number[]; suppressed: Uint8Array }
  | {
      kind: 'local';
      partitionOfRow: Int32Array;
      partitionLevels: readonly (readonly number[])[];
      suppressed: Uint8Array;
    };

export function noRecoding(rows: number): Recoding {
  return { kind: 'none', suppressed: new Uint8Array(rows) };
}

/** Materializes the chosen lattice node: which rows fall in failing classes. */
export function globalRecoding(checker: NodeChecker, levels: readonly number[]): Recoding {
  const result = checker.classifyBottom(levels);
  const suppressed = new Uint8Array(checker.rows);
  if (result.suppressed > 0) {
    for (let r = 0; r < checker.rows; r++) {
      suppressed[r] = checker.classFails[checker.classOf[checker.rowToBottom[r]!]!]!;
    }
  }
  return { kind: 'global', levels, suppressed };
}

export function fromLocal(local: LocalRecoding, rows: number): Recoding {
  return { kind: 'local', ...local, suppressed: new Uint8Array(rows) };
}

export function levelOf(rec: Recoding, qi: number, row: number): number {
  if (rec.kind === 'none') return 0;
  if (rec.kind === 'global') return rec.levels[qi]!;
  return rec.partitionLevels[rec.partitionOfRow[row]!]![qi]!;
}

/** The value a row shows for a QI after recoding. */
export function generalizedValue(table: EncodedTable, rec: Recoding, qi: number, row: number): string {
  const col = table.qis[qi]!;
  const level = levelOf(rec, qi, row);
  return col.labels[level]![col.levelMap[level]![col.codes[row]!]!]!;
}
