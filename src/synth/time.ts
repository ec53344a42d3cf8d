/** Date arithmetic on epoch milliseconds, formatted the way FHIR wants it, in a fixed UTC offset. */
export const DAY_MS = 86_400_000;
export const YEAR_MS = 365.2425 * DAY_MS;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DD` of an instant as seen at the given UTC offset (minutes). */
export function dateAt(ms: number, offsetMinutes: number): string {
  const t = new Date(ms + offsetMinutes * 60_000);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** A FHIR dateTime/instant with seconds and offset, e.g. `2024-03-05T09:30:00+08:00`. */
export function dateTimeAt(ms: number, offsetMinutes: number): string {
  const t = new Date(ms + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return (
    `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}` +
    `T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** Midnight UTC of a `YYYY-MM-DD` date. */
export const parseDate = (date: string): number => Date.parse(`${date}T00:00:00Z`);

/** Whole years between a birth date and an instant. */
export function ageAt(birthDate: string, ms: number): number {
  const b = new Date(parseDate(birthDate));
  const t = new Date(ms);
  let age = t.getUTCFullYear() - b.getUTCFullYear();
  if (
    t.getUTCMonth() < b.getUTCMonth() ||
    (t.getUTCMonth() === b.getUTCMonth() && t.getUTCDate() < b.getUTCDate())
  )
    age--;
  return age;
}
