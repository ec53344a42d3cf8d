import type { Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * Column types that differ between the dialects. Timestamps are epoch milliseconds in `bigint`
 * columns on both (PostgreSQL's int8 is parsed back to a number: safe to 2^53 ms, year 287396).
 */
export interface ColumnTypes {
  readonly bytes: 'blob' | 'bytea';
  readonly json: 'text' | 'jsonb';
  readonly bigint: 'bigint';
}

export const columnTypes = (dialect: Dialect): ColumnTypes => ({
  bytes: dialect === 'sqlite' ? 'blob' : 'bytea',
  json: dialect === 'sqlite' ? 'text' : 'jsonb',
  bigint: 'bigint',
});

/**
 * One step of a module's schema. Names sort in the order they must run across all modules, so
 * they start with a date and a sequence: `20261123_0100_identity_init`.
 */
export interface Migration {
  readonly name: string;
  up(db: Kysely<unknown>, ctx: { dialect: Dialect; types: ColumnTypes }): Promise<void>;
}
