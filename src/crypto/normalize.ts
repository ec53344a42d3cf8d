/**
 * Normalization before blind indexing: two spellings of the same value must give the same
 * index, or search misses them. Every function here is idempotent (property-tested).
 */

/** Identifier values whose blind index a search may look up. */
export type IdentifierKind = 'resident-id' | 'passport' | 'mrn' | 'insurance-number' | 'identifier';
export type IndexKind = IdentifierKind | 'phone' | 'name';

export const INDEX_KINDS: readonly IndexKind[] = [
  'resident-id',
  'passport',
  'mrn',
  'insurance-number',
  'identifier',
  'phone',
  'name',
];

const DASHES = /[-‐‑‒–—―−﹣－]/gu;
const WHITESPACE = /[\s\u200b\u3000]+/gu;

/**
 * Identifiers (resident IDs, passports, medical record and insurance numbers): full-width forms
 * folded (NFKC: "１１０１…" → "1101…"), upper case (so a resident ID's check character is "X"),
 * spaces and hyphens removed.
 */
export function normalizeIdentifier(value: string): string {
  return fixpoint(value, (v) =>
    v.normalize('NFKC').toUpperCase().replace(WHITESPACE, '').replace(DASHES, ''),
  );
}

/**
 * Repeats a normalization step until it changes nothing. Case mapping and character removal can
 * undo Unicode normalization (upper-casing ῢ yields an uncomposed sequence; dropping a space can
 * put a combining mark next to a new base), so one pass is not always idempotent; a few are.
 */
function fixpoint(value: string, step: (v: string) => string): string {
  let current = step(value);
  for (let i = 0; i < 8; i++) {
    const next = step(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/**
 * Phone numbers: digits only, China's country code (+86, 0086) stripped. A landline written
 * internationally (+86 10 1234 5678) gets back its trunk 0 (010 1234 5678) so both spellings
 * match; mobile numbers (11 digits, 1[3-9]…) have none.
 */
export function normalizePhone(value: string): string {
  return fixpoint(value, normalizePhoneOnce);
}

function normalizePhoneOnce(value: string): string {
  const text = value.normalize('NFKC').trim();
  let digits = text.replace(/\D/g, '');
  let international = text.startsWith('+86');
  for (;;) {
    if (digits.startsWith('0086')) digits = digits.slice(4);
    else if (international || (digits.length === 13 && /^861[3-9]/.test(digits))) digits = digits.slice(2);
    else break;
    international = false;
    if (!/^1[3-9]\d{9}$/.test(digits) && digits.length > 0 && !digits.startsWith('0')) digits = `0${digits}`;
  }
  return digits;
}

const HAN = /\p{Script=Han}/u;
/** Middle dots that separate the parts of transliterated names (阿依古丽·买买提). */
const MIDDLE_DOTS = /[·•‧・･⋅∙]/gu;

/**
 * Names. Chinese (any Han character): NFKC, no spaces, no middle dots. Latin and others: NFKD,
 * lower case, diacritics stripped (José → jose), apostrophes dropped, hyphens and dots as
 * spaces, spaces collapsed.
 */
export function normalizeName(value: string): string {
  return fixpoint(value, normalizeNameOnce);
}

function normalizeNameOnce(value: string): string {
  const text = value.normalize('NFKC');
  if (HAN.test(text)) return text.toLowerCase().replace(WHITESPACE, '').replace(MIDDLE_DOTS, '');
  return text
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/['’ʼ`]/gu, '')
    .replace(DASHES, ' ')
    .replace(/[.,·•‧・･⋅∙]/gu, ' ')
    .replace(WHITESPACE, ' ')
    .trim();
}

/** Two-character surnames (复姓): 欧阳娜娜 is 欧阳 + 娜娜, not 欧 + 阳娜娜. */
const COMPOUND_SURNAMES = new Set(
  (
    '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 闾丘 澹台 ' +
    '公冶 太史 申屠 南宫 西门 端木 独孤 百里 呼延 赫连 第五 万俟 司空 濮阳 淳于 单于 仲孙 鲜于 ' +
    '东郭 左丘 拓跋 亓官 公羊 梁丘 羊舌 微生 谷梁 宰父 巫马 漆雕 乐正 壤驷 公良 段干 呼延 达奚'
  ).split(' '),
);

export interface HumanNameParts {
  text?: string | undefined;
  family?: string | undefined;
  given?: readonly string[] | undefined;
}

/**
 * The normalized tokens under which a name is findable: the whole name, and its parts. Chinese
 * names split into surname and given name (张三丰 → 张三丰, 张, 三丰; compound surnames kept
 * whole); names with middle dots into their parts; Latin names into words. A search for
 * `name=X` looks up the blind index of `normalizeName(X)` among these tokens.
 */
export function nameTokens(name: string | HumanNameParts): string[] {
  const sources =
    typeof name === 'string'
      ? [name]
      : [
          name.text,
          name.family,
          ...(name.given ?? []),
          // FHIR HumanName keeps parts apart; the whole name is findable too, in both orders.
          name.family !== undefined && name.given?.length
            ? HAN.test(name.family)
              ? name.family + name.given.join('')
              : [...name.given, name.family].join(' ')
            : undefined,
        ];
  const tokens = new Set<string>();
  for (const source of sources) {
    if (source === undefined) continue;
    const whole = normalizeName(source);
    if (whole === '') continue;
    tokens.add(whole);
    if (HAN.test(whole)) {
      const nfkc = source.normalize('NFKC').replace(WHITESPACE, '');
      const parts = nfkc.split(MIDDLE_DOTS).map(normalizeName).filter(Boolean);
      if (parts.length > 1) parts.forEach((p) => tokens.add(p));
      else if ([...whole].length >= 2 && typeof name === 'string') {
        const chars = [...whole];
        const surnameLength = chars.length >= 3 && COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
        // Each part normalized on its own: a part without Han characters follows the Latin rules.
        for (const part of [chars.slice(0, surnameLength).join(''), chars.slice(surnameLength).join('')]) {
          const normalized = normalizeName(part);
          if (normalized) tokens.add(normalized);
        }
      }
    } else {
      for (const word of whole.split(' ')) if (word) tokens.add(word);
    }
  }
  return [...tokens];
}

export function normalizeForIndex(kind: IndexKind, value: string): string {
  switch (kind) {
    case 'phone':
      return normalizePhone(value);
    case 'name':
      return normalizeName(value);
    default:
      return normalizeIdentifier(value);
  }
}
