/**
 * Rows per multi-row INSERT or values per IN list: at 13 columns well under SQLite's 32,766 bound
 * parameters (and PostgreSQL's 65,535), large enough that a bulk import pays few round trips.
 */
export const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
