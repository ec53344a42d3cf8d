import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { deidError } from '../errors.js';

export type TableFormat = 'csv' | 'ndjson';

/** A table row as cells by column; NDJSON values that are not strings keep their type. */
export type Row = Record<string, unknown>;

/** The header of a CSV file (first record), read without reading the rest. */
export async function csvHeader(path: string): Promise<string[]> {
  for await (const record of createReadStream(path).pipe(
    parse({ to_line: 1, bom: true, relax_column_count: true }),
  )) {
    return record as string[];
  }
  return [];
}

/** Streams rows of a CSV (header row first) or NDJSON file, with constant memory. */
export async function* readRows(path: string, format: TableFormat): AsyncGenerator<Row> {
  if (format === 'csv') {
    let header: string[] | undefined;
    for await (const record of createReadStream(path).pipe(parse({ bom: true, relax_column_count: false }))) {
      const cells = record as string[];
      if (header === undefined) {
        header = cells;
        continue;
      }
      const row: Row = {};
      for (let i = 0; i < header.length; i++) row[header[i]!] = cells[i] ?? '';
      yield row;
    }
    return;
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw deidError(`${path} line ${n} is not valid JSON`, `${path} 第 ${n} 行不是有效的 JSON`, {
        path: `${path}:${n}`,
      });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw deidError(`${path} line ${n} is not a JSON object`, `${path} 第 ${n} 行不是 JSON 对象`, {
        path: `${path}:${n}`,
      });
    }
    yield value as Row;
  }
}

export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvLine(cells: readonly string[]): string {
  let out = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (i > 0) out += ',';
    out += NEEDS_QUOTES.test(c) || c.startsWith(' ') ? `"${c.replaceAll('"', '""')}"` : c;
  }
  return out + '\n';
}
