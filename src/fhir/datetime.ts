/**
 * FHIR date, dateTime and instant values as half-open ranges of epoch milliseconds.
 *
 * A FHIR date is imprecise by design: `2024` means the whole year. Search compares ranges, not
 * points (R4 search §2.1.1.5.1), so every value becomes [low, high): `2024-03` is
 * [2024-03-01T00:00Z, 2024-04-01T00:00Z). Values without a time zone (dates, and search values
 * written without one) are read as UTC: the store has no per-value local time to use instead,
 * and UTC keeps ranges stable whichever server answers.
 */

/** The earliest and latest instants an ECMAScript Date can hold: stand-ins for open ends. */
export const MIN_INSTANT = -8_640_000_000_000_000;
export const MAX_INSTANT = 8_640_000_000_000_000;

export type DatePrecision = 'year' | 'month' | 'day' | 'minute' | 'second' | 'millisecond';

/** A half-open range [low, high) of epoch milliseconds. */
export interface DateRange {
  low: number;
  high: number;
}

export interface ParsedDate extends DateRange {
  precision: DatePrecision;
}

export interface DateParseOptions {
  /** Search values may stop at minutes (`2024-03-05T10:30`); resource values may not. */
  allowMinutes?: boolean;
  /** Search values may omit the zone (read as UTC); resource dateTimes with a time must carry one. */
  allowMissingZone?: boolean;
}

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const MS_PER_MINUTE = 60_000;

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch ms of a UTC wall-clock time; unlike Date.UTC, years 0-99 stay themselves. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z') return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) return undefined;
  const offset = hours * 60 + minutes;
  return zone.startsWith('-') ? -offset : offset;
}

/**
 * Parses a FHIR date, dateTime or instant into the range it denotes, or undefined when the text
 * is not one (including impossible calendar dates such as 2023-02-29 and out-of-range times).
 */
export function parseFhirDate(text: string, options: DateParseOptions = {}): ParsedDate | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  if (year === 0) return undefined;
  if (mo === undefined) return { low: utc(year, 1, 1), high: utc(year + 1, 1, 1), precision: 'year' };
  const month = Number(mo);
  if (month < 1 || month > 12) return undefined;
  if (d === undefined) {
    const next = month === 12 ? utc(year + 1, 1, 1) : utc(year, month + 1, 1);
    return { low: utc(year, month, 1), high: next, precision: 'month' };
  }
  const day = Number(d);
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (h === undefined) {
    const low = utc(year, month, day);
    return { low, high: low + 86_400_000, precision: 'day' };
  }
  const hour = Number(h);
  const minute = Number(mi);
  if (hour > 23 || minute > 59) return undefined;
  if (s === undefined && !options.allowMinutes) return undefined;
  if (zone === undefined && !options.allowMissingZone) return undefined;
  const offset = zone === undefined ? 0 : zoneOffsetMinutes(zone);
  if (offset === undefined) return undefined;
  // A leap second (:60) is kept inside its minute's last second rather than spilling over.
  const second = s === undefined ? 0 : Math.min(Number(s), 59);
  if (s !== undefined && Number(s) > 60) return undefined;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const low = utc(year, month, day, hour, minute, second, ms) - offset * MS_PER_MINUTE;
  if (s === undefined) return { low, high: low + MS_PER_MINUTE, precision: 'minute' };
  if (frac === undefined) return { low, high: low + 1000, precision: 'second' };
  const width = frac.length >= 3 ? 1 : 10 ** (3 - frac.length);
  return { low, high: low + width, precision: 'millisecond' };
}

/**
 * Whether a value the JSON schema's pattern already accepted is a real calendar date: the
 * pattern allows 2023-02-31, FHIR says "Dates SHALL be valid dates".
 */
export function isCalendarValid(text: string): boolean {
  if (text.length < 10) return true;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  return day <= daysInMonth(year, month);
}

/** The range of an R4 Period: a missing start or end leaves that side open. */
export function periodRange(start: string | undefined, end: string | undefined): DateRange | undefined {
  const from = start === undefined ? undefined : parseFhirDate(start);
  const to = end === undefined ? undefined : parseFhirDate(end);
  if (from === undefined && to === undefined) return undefined;
  return { low: from?.low ?? MIN_INSTANT, high: to?.high ?? MAX_INSTANT };
}
