import { createHmac } from 'node:crypto';

/**
 * Per-patient date shifting: every date of one patient moves by the same number of days, so
 * intervals (length of stay, time to event) survive while calendar dates do not. The shift is
 * derived from an HMAC of the patient key, so it is stable across runs and unguessable without
 * the project key.
 */
export function patientShiftDays(key: Uint8Array, patientKey: string, maxDays: number): number {
  if (maxDays <= 0) return 0;
  const mac = createHmac('sha256', key).update(`date-shift\u0000${patientKey}`, 'utf8').digest();
  const span = 2 * maxDays; // shifts in [-maxDays, maxDays] without 0, so no patient keeps real dates
  const r = mac.readUInt32BE(0) % span;
  return r < maxDays ? r - maxDays : r - maxDays + 1;
}

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T.*)?)?)?$/;

/**
 * Shifts an ISO date or date-time by `days`, keeping its precision: dates stay dates, date-times
 * keep their time and offset, year-months shift as the 1st of the month and stay year-months.
 */
export function shiftDate(value: string, days: number): string | undefined {
  const m = PARTIAL.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, rest] = m;
  if (mo === undefined) {
    return value; // a bare year carries no day to shift; leaving it is the documented behaviour
  }
  const [sy, sm, sd] = civilFromDays(
    daysFromCivil(Number(y), Number(mo), d === undefined ? 1 : Number(d)) + days,
  );
  const ym = `${String(sy).padStart(4, '0')}-${sm < 10 ? '0' : ''}${sm}`;
  if (d === undefined) return ym;
  return `${ym}-${sd < 10 ? '0' : ''}${sd}${rest ?? ''}`;
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
