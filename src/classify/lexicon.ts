import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const surnames = JSON.parse(
  readFileSync(join(import.meta.dirname, 'lexicon', 'surnames-zh.json'), 'utf8'),
) as {
  single: string;
  compound: string[];
};

/** Single-character Chinese surnames. */
export const SURNAMES: ReadonlySet<string> = new Set([...surnames.single]);
/** Two-character (compound) surnames such as 欧阳, 上官. */
export const COMPOUND_SURNAMES: ReadonlySet<string> = new Set(surnames.compound);

export const isHan = (ch: string | undefined): boolean =>
  ch !== undefined && ch >= '\u4e00' && ch <= '\u9fff';

/** The length of the surname starting at `i` (2 for compound, 1 for single), or 0. */
export function surnameAt(text: string, i: number): number {
  if (COMPOUND_SURNAMES.has(text.slice(i, i + 2))) return 2;
  return SURNAMES.has(text[i] ?? '') ? 1 : 0;
}
