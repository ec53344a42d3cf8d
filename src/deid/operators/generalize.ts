/**
 * Record-level generalization (泛化): each function maps one value to a coarser one. The same
 * steps, stacked, form the built-in hierarchies used by the privacy models (hierarchy.ts).
 */

/**
 * The 3-digit ZIP areas with 20,000 or fewer people (2000 Census), which HIPAA Safe Harbor
 * requires to be released as 000 (45 CFR 164.514(b)(2)(i)(B); list from the preamble of the
 * 2002 final rule, 67 FR 53182).
 */
export const HIPAA_RESTRICTED_ZIP3: ReadonlySet<string> = new Set([
  '036', '059', '063', '102', '203', '556', '692', '790', '821',
  '823', '830', '831', '878', '879', '884', '890', '893',
]); // prettier-ignore

/** 02139-4307 -> 021; 03601 -> 000 (restricted area). */
export function zip3(zip: string): string {
  const digits = zip.trim().slice(0, 5);
  if (!/^\d{3}/.test(digits)) return '000';
  const prefix = digits.slice(0, 3);
  return HIPAA_RESTRICTED_ZIP3.has(prefix) ? '000' : prefix;
}

/** Ages 90 and over become "90+" (Safe Harbor); `max` is the largest age shown as is. */
export function topCode(value: number, max: number, label = `${max + 1}+`): string {
  return value > max ? label : String(value);
}

/** 37 with width 10 -> "30-39". Negative or non-finite values are left for the caller to reject. */
export function band(value: number, width: number, origin = 0): string {
  const low = Math.floor((value - origin) / width) * width + origin;
  return `${low}-${low + width - 1}`;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;

export type DateGrain = 'day' | 'month' | 'year';

/** 1990-03-07 -> 1990-03 (month) or 1990 (year); date-times lose their time as well. */
export function truncateDate(value: string, grain: DateGrain): string | undefined {
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  if (grain === 'year') return m[1];
  if (grain === 'month') return m[2] ? `${m[1]}-${m[2]}` : m[1];
  return m[3] ? `${m[1]}-${m[2]}-${m[3]}` : m[2] ? `${m[1]}-${m[2]}` : m[1];
}

/** Whole years between a birth date and a reference date (both ISO strings). */
export function ageAt(birthDate: string, reference: string): number | undefined {
  const b = DATE.exec(birthDate.trim());
  const r = DATE.exec(reference.trim());
  if (!b || !r) return undefined;
  const by = Number(b[1]);
  const bm = Number(b[2] ?? 1);
  const bd = Number(b[3] ?? 1);
  const ry = Number(r[1]);
  const rm = Number(r[2] ?? 1);
  const rd = Number(r[3] ?? 1);
  return ry - by - (rm < bm || (rm === bm && rd < bd) ? 1 : 0);
}

export type DivisionLevel = 'county' | 'city' | 'province';

/**
 * GB/T 2260 administrative division codes: 110105 (朝阳区) -> 110100 (city) -> 110000 (province).
 * Longer codes (12-digit statistical codes) are cut to their first six digits first.
 */
export function generalizeDivision(code: string, level: DivisionLevel): string | undefined {
  const c = code.trim();
  if (!/^\d{6}/.test(c)) return undefined;
  if (level === 'province') return c.slice(0, 2) + '0000';
  if (level === 'city') return c.slice(0, 4) + '00';
  return c.slice(0, 6);
}
