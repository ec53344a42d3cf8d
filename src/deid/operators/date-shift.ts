import { KeyedHmac } from './hmac.js';

/**
 * Per-patient date shifting: every date of one patient moves by the same number of days, so
 * intervals (length of stay, time to event) survive while calendar dates do not. The shift is
 * derived from an HMAC of the patient key, so it is stable across runs and unguessable without
 * the project key.
 */
export function patientShiftDays(key: Uint8Array | KeyedHmac, patientKey: string, maxDays: number): number {
  if (maxDays <= 0) return 0;
  const mac = key instanceof KeyedHmac ? key : new KeyedHmac(key);
  const span = 2 * maxDays; // shifts in [-maxDays, maxDays] without 0, so no patient keeps real dates
  const r = mac.firstUint32(patientKey, SHIFT_DOMAIN) % span;
  return r < maxDays ? r - maxDays : r - maxDays + 1;
}

/** Domain separation inside the date-shift sub-key; part of the derivation, so it never changes. */
const SHIFT_DOMAIN = new TextEncoder().encode('date-shift\u0000');

/** Two ASCII digits at `i` as a number, or -1. */
function two(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * Shifts an ISO date or date-time by `days`, keeping its precision: dates stay dates, date-times
 * keep their time and offset, year-months shift as the 1st of the month and stay year-months.
 * Accepts `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and `YYYY-MM-DDT…`; parsed by hand because this runs
 * once per date cell.
 */
export function shiftDate(value: string, days: number): string | undefined {
  const v = value.trim();
  const n = v.length;
  const hi = n >= 4 ? two(v, 0) : -1;
  const lo = n >= 4 ? two(v, 2) : -1;
  if (hi < 0 || lo < 0) return undefined;
  if (n === 4) return value; // a bare year carries no day to shift; leaving it is the documented behaviour
  const mo = n >= 7 && v.charCodeAt(4) === 45 ? two(v, 5) : -1;
  if (mo < 0) return undefined;
  let d = 1;
  let rest = '';
  if (n > 7) {
    d = n >= 10 && v.charCodeAt(7) === 45 ? two(v, 8) : -1;
    if (d < 0) return undefined;
    if (n > 10) {
      rest = v.slice(10);
      if (rest.charCodeAt(0) !== 84 /* T */ || LINE_BREAK.test(rest)) return undefined;
    }
  }
  const [sy, sm, sd] = civilFromDays(daysFromCivil(hi * 100 + lo, mo, d) + days);
  const ym = `${String(sy).padStart(4, '0')}-${sm < 10 ? '0' : ''}${sm}`;
  if (n === 7) return ym;
  return `${ym}-${sd < 10 ? '0' : ''}${sd}${rest}`;
}

// Proleptic Gregorian day arithmetic (H. Hinnant's algorithms): no Date objects on the hot path.
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}
