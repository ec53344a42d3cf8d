import type { Brand } from '../core/index.js';

/** A unified lookup code (统一调阅编码), e.g. `CUL-7K2M-Q9XD-4HBT-0RCW-NV3E`. */
export type LookupCode = Brand<string, 'LookupCode'>;

/** Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DATA_CHARS = 19;
const PREFIX = 'CUL-';

/**
 * Formats the first 95 bits of a MAC as 19 base32 characters and a Luhn mod 32 check character,
 * in groups of four. 95 bits keep collisions negligible for any region's population (~10^-13
 * for 10^8 people); the check character catches every single typo and most swapped neighbours.
 */
export function formatLookupCode(mac: Uint8Array): LookupCode {
  if (mac.length < 12) throw new RangeError('need at least 96 bits');
  let bits = 0n;
  for (const byte of mac.subarray(0, 12)) bits = (bits << 8n) | BigInt(byte);
  bits >>= 1n;
  const digits: number[] = [];
  for (let i = DATA_CHARS - 1; i >= 0; i--)
    digits[i] = Number((bits >> BigInt(5 * (DATA_CHARS - 1 - i))) & 31n);
  digits.push(luhn32Check(digits));
  const chars = digits.map((d) => ALPHABET[d]!).join('');
  return `${PREFIX}${chars.match(/.{4}/g)!.join('-')}` as LookupCode;
}

/**
 * Reads a lookup code as people type it (lower case, spaces, O for 0, I or L for 1) and returns
 * it in canonical form, or undefined when it is not one (wrong length or check character).
 */
export function parseLookupCode(text: string): LookupCode | undefined {
  let s = text.toUpperCase().replace(/[\s-]/g, '');
  if (s.startsWith('CUL')) s = s.slice(3);
  s = s.replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== DATA_CHARS + 1) return undefined;
  const digits = [...s].map((c) => ALPHABET.indexOf(c));
  if (digits.some((d) => d < 0)) return undefined;
  if (luhn32Check(digits.slice(0, DATA_CHARS)) !== digits[DATA_CHARS]) return undefined;
  return `${PREFIX}${s.match(/.{4}/g)!.join('-')}` as LookupCode;
}

/** Luhn mod N (N = 32): the check digit that makes the weighted sum divisible by 32. */
function luhn32Check(digits: readonly number[]): number {
  let sum = 0;
  let factor = 2;
  for (let i = digits.length - 1; i >= 0; i--) {
    const addend = factor * digits[i]!;
    sum += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 2 ? 1 : 2;
  }
  return (32 - (sum % 32)) % 32;
}
