/**
 * Format-aware partial masking (部分屏蔽). Each function keeps the part of a value that the
 * national conventions allow to show (surname, region prefix, last four digits) and hides the rest.
 */

/** Two-character surnames (复姓) that stay visible as a whole: 欧阳娜娜 -> 欧阳**. */
export const COMPOUND_SURNAMES: ReadonlySet<string> = new Set(
  (
    '欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 ' +
    '南宫 西门 申屠 太史 澹台 公冶 宗政 濮阳 淳于 单于 太叔 仲孙 赫连 闻人 万俟 呼延 百里 东郭 ' +
    '拓跋 完颜 司空 左丘 谷梁 乐正 梁丘 公良 第五 鲜于 闾丘 亓官 司寇 巫马 公西 颛孙 壤驷 漆雕 ' +
    '羊舌 微生 公羊 段干 东门 南门 子车 呼延 即墨 达奚 褚师 夹谷 公仪 梁丘 宰父'
  ).split(' '),
);

const HAN = /\p{Script=Han}/u;

/**
 * 张三 -> 张*, 王小明 -> 王**, 欧阳娜娜 -> 欧阳**, 阿依古丽·买买提 -> 阿***·***,
 * John Smith -> J*** S***. Latin parts keep their initial and a fixed-length tail so that the
 * mask does not leak the length of the name.
 */
export function maskPersonName(name: string, maskChar = '*'): string {
  const trimmed = name.trim();
  if (trimmed === '') return trimmed;
  const first = trimmed.charCodeAt(0);
  // Fast path: common CJK ideographs, no separators, no surrogate pairs.
  if (first >= 0x4e00 && first <= 0x9fff && !/[·•\ud800-\udfff]/.test(trimmed)) {
    const keep = trimmed.length > 2 && COMPOUND_SURNAMES.has(trimmed.slice(0, 2)) ? 2 : 1;
    return trimmed.slice(0, keep) + maskChar.repeat(Math.max(trimmed.length - keep, 1));
  }
  const chars = [...trimmed];
  if (HAN.test(chars[0]!)) {
    if (trimmed.includes('·') || trimmed.includes('•')) {
      // Transliterated minority names: keep the first character only; keep the separators.
      return chars.map((c, i) => (i === 0 || c === '·' || c === '•' ? c : maskChar)).join('');
    }
    const keep = chars.length > 2 && COMPOUND_SURNAMES.has(chars[0]! + chars[1]!) ? 2 : 1;
    return chars.slice(0, keep).join('') + maskChar.repeat(Math.max(chars.length - keep, 1));
  }
  return trimmed
    .split(/\s+/)
    .map((part) => {
      const first = [...part][0]!;
      return /\p{L}/u.test(first) ? first + maskChar.repeat(3) : maskChar.repeat(3);
    })
    .join(' ');
}

/** 110101199003071234 -> 110101********1234: the region stays, the birth date goes. */
export function maskResidentId(id: string, maskChar = '*'): string {
  const v = id.trim();
  if (v.length !== 18 && v.length !== 15) return maskChar.repeat(v.length);
  return v.slice(0, 6) + maskChar.repeat(v.length - 10) + v.slice(-4);
}

/**
 * 13812345678 -> 138****5678; +86 138 1234 5678 -> +86 138****5678. Other numbers keep their
 * last four digits only (010-12345678 -> ***-****5678).
 */
export function maskPhone(phone: string, maskChar = '*'): string {
  const v = phone.trim();
  const cn = /^(\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})$/.exec(v);
  if (cn) return `${cn[1] ?? ''}${cn[2]}${maskChar.repeat(4)}${cn[4]}`;
  const digits = v.replace(/\D/g, '').length;
  let seen = 0;
  return v.replace(/\d/g, (d) => (++seen > digits - 4 ? d : maskChar));
}

/** alice@example.org -> a***@example.org. */
export function maskEmail(email: string, maskChar = '*'): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskChar.repeat(3);
  return email[0] + maskChar.repeat(3) + email.slice(at);
}

const CN_ADDRESS =
  /^((?:[^省]{2,7}?省|[^区]{2,12}?自治区|[^区]{2,5}?特别行政区|北京市|天津市|上海市|重庆市))?([^市州盟]{1,12}?(?:自治州|地区|盟|市))?([^区县旗]{1,10}?(?:区|县|旗|市))?/u;

/**
 * Cuts an address to district level (区/县): 北京市朝阳区建国路88号 -> 北京市朝阳区,
 * 广东省深圳市南山区科技园 -> 广东省深圳市南山区. Non-Chinese addresses keep the last two
 * comma-separated parts without digits (city, state).
 */
export function maskAddress(address: string): string {
  const v = address.trim();
  if (HAN.test(v)) {
    const m = CN_ADDRESS.exec(v);
    const kept = m ? (m[1] ?? '') + (m[2] ?? '') + (m[3] ?? '') : '';
    return kept === '' ? '*' : kept;
  }
  const parts = v
    .split(',')
    .map((p) => p.replace(/\d+(-\d+)?/g, '').trim())
    .filter((p) => p !== '');
  return parts.length <= 1 ? '*' : parts.slice(-2).join(', ');
}

/** Keeps `keepStart` and `keepEnd` characters and masks the middle (generic numbers, cards). */
export function maskMiddle(value: string, keepStart: number, keepEnd: number, maskChar = '*'): string {
  const chars = [...value];
  if (chars.length <= keepStart + keepEnd) return maskChar.repeat(chars.length);
  return (
    chars.slice(0, keepStart).join('') +
    maskChar.repeat(chars.length - keepStart - keepEnd) +
    chars.slice(chars.length - keepEnd).join('')
  );
}
