/**
 * The Chinese resident identity number (公民身份号码, GB 11643-1999): 6-digit administrative
 * division code, 8-digit birth date, 3-digit sequence (odd for men, even for women) and an
 * ISO 7064 MOD 11-2 check character (0-9 or X).
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;

/** The check character for the first 17 digits. */
export function residentIdCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new TypeError('expected 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export interface ResidentIdParts {
  divisionCode: string;
  birthDate: string; // YYYY-MM-DD
  sex: 'male' | 'female';
}

/** Parses a resident ID, or returns undefined when shape, date or check character is wrong. */
export function parseResidentId(value: string): ResidentIdParts | undefined {
  const id = value.trim().toUpperCase();
  if (!SHAPE.test(id)) return undefined;
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]) return undefined;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1880 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return {
    divisionCode: id.slice(0, 6),
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: Number(id[16]) % 2 === 1 ? 'male' : 'female',
  };
}

export const isValidResidentId = (value: string): boolean => parseResidentId(value) !== undefined;

/** Builds a valid resident ID from its parts (for synthetic data and tests). */
export function makeResidentId(divisionCode: string, birthDate: string, sequence: number): string {
  const first17 = `${divisionCode}${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  return first17 + residentIdCheckChar(first17);
}
