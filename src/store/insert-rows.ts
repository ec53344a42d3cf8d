/**
 * Multi-row inserts written as plain SQL: building them with Kysely's query builder costs more
 * than the insert itself at tens of thousands of rows a second. Values are always parameters.
 */
import { CompiledQuery } from 'kysely';
import type { Dialect } from './types.js';

// SQLite allows 32766 parameters a statement, PostgreSQL 65535: stay well below both.
const MAX_PARAMETERS = 30_000;

const statementCache = new Map<string, string>();

function insertStatement(dialect: Dialect, table: string, columns: readonly string[], rows: number): string {
  const key = `${dialect}|${table}|${columns.join(',')}|${rows}`;
  let text = statementCache.get(key);
  if (text === undefined) {
    let n = 0;
    const row = () => `(${columns.map(() => (dialect === 'postgres' ? `$${++n}` : '?')).join(',')})`;
    text = `insert into ${table} (${columns.join(',')}) values ${Array.from({ length: rows }, row).join(',')}`;
    if (statementCache.size > 256) statementCache.clear();
    statementCache.set(key, text);
  }
  return text;
}

/**
 * Inserts rows given as one flat array of values, row after row in `columns` order, in as few
 * statements as the limits allow (flat, because nested row arrays are garbage to collect at
 * tens of thousands of rows a second).
 */
export async function insertRows(
  db: { executeQuery(query: CompiledQuery): Promise<unknown> },
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  values: readonly unknown[],
): Promise<void> {
  const width = columns.length;
  if (values.length % width !== 0)
    throw new RangeError(`${values.length} values do not fill rows of ${width}`);
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / width)) * width;
  for (let i = 0; i < values.length; i += perStatement) {
    const chunk = values.length <= perStatement ? values : values.slice(i, i + perStatement);
    await db.executeQuery(
      CompiledQuery.raw(insertStatement(dialect, table, columns, chunk.length / width), chunk as unknown[]),
    );
  }
}
