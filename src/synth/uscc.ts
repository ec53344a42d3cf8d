import type { Random } from './random.js';

/**
 * The unified social credit code (统一社会信用代码, GB 32100-2015) that identifies Chinese
 * organizations: registering authority and type (2 chars), GB/T 2260 division (6), the
 * organization code (GB 11714, 9 chars with its own check) and a check character.
 */
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

function orgCodeCheck(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(first8[i]!, 36) * ORG_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARS.indexOf(first17[i]!);
    if (v < 0) throw new TypeError(`invalid character in unified social credit code: ${first17[i]}`);
    sum += v * USCC_WEIGHTS[i]!;
  }
  return USCC_CHARS[(31 - (sum % 31)) % 31]!;
}

export function isValidUscc(code: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) return false;
  if (orgCodeCheck(code.slice(8, 16)) !== code[16]) return false;
  return usccCheckChar(code.slice(0, 17)) === code[17];
}

/** A code for a public institution (事业单位, registered by 机构编制: type `12`). */
export function makeInstitutionUscc(random: Random, divisionCode: string): string {
  const org8 = random.pick(['4', '5']) + random.digits(7);
  const first17 = `12${divisionCode}${org8}${orgCodeCheck(org8)}`;
  return first17 + usccCheckChar(first17);
}
