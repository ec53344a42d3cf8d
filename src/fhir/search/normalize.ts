/**
 * Normal forms for the values the store blind-indexes. A keyed hash matches only identical
 * bytes, so the same person must always normalize to the same text: in the index and in queries.
 */

const COMBINING = /\p{M}+/gu;
const NOT_NAME = /[^\p{L}\p{N}\s]+/gu;
const SPACES = /\s+/gu;
// Han, Hiragana/Katakana and Hangul: scripts written without spaces between name parts.
const CJK_GAP =
  /(?<=[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]) (?=[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}])/gu;

/**
 * A name's normal form: Unicode-compatibility folded (full-width → ASCII), lower case, accents
 * removed (María → maria), punctuation (including the Chinese middle dot ·) removed, runs of
 * space collapsed, and no space between CJK characters (张 三 → 张三).
 */
export function normalizeName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(COMBINING, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(NOT_NAME, ' ')
    .replace(SPACES, ' ')
    .trim()
    .replace(CJK_GAP, '');
}

const HAS_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

export const isCjk = (text: string): boolean => HAS_CJK.test(text);

/**
 * A phone number's normal form: digits only, without the China country code when one was
 * written (+86, 0086). Other numbers keep their digits as written: guessing a country code
 * would merge different people's numbers.
 */
export function normalizePhone(text: string): string {
  const trimmed = text.trim();
  const digits = trimmed.replace(/\D+/g, '');
  if (trimmed.startsWith('+86')) return digits.slice(2);
  if (digits.startsWith('0086')) return digits.slice(4);
  return digits;
}

/** Identifier values are compared exactly (they are case-sensitive in FHIR), minus outer space. */
export const normalizeIdentifierValue = (text: string): string => text.trim();
