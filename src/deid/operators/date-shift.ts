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

const DAY_MS = 86_400_000;
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
  const base = Date.UTC(Number(y), Number(mo) - 1, d === undefined ? 1 : Number(d));
  const shifted = new Date(base + days * DAY_MS).toISOString();
  if (d === undefined) return shifted.slice(0, 7);
  return shifted.slice(0, 10) + (rest ?? '');
}
