import { deidError } from '../errors.js';
import { band, generalizeDivision, truncateDate, zip3 } from './generalize.js';

/**
 * A generalization hierarchy: for a value, its chain from level 0 (the value itself) to the top
 * (usually "*"). Every chain of one hierarchy has the same length (`height`). Chains must nest:
 * two values equal at level i are equal at every level above i.
 */
export interface Hierarchy {
  readonly name: string;
  readonly height: number;
  /** The chain for a value, or undefined when the hierarchy does not know it. */
  chain(value: string): readonly string[] | undefined;
  /** The level names, for reports ("5-year band", "year", "province"...). */
  readonly levelNames?: readonly string[];
}

export const TOP = '*';

/** The hierarchy's chain for a value, or an error naming the value and the column. */
export function chainOf(h: Hierarchy, value: string, column: string): readonly string[] {
  const c = h.chain(value);
  if (c === undefined) {
    throw deidError(
      `hierarchy "${h.name}" for column "${column}" has no entry for value "${value}"`,
      `列“${column}”的泛化层级“${h.name}”缺少取值“${value}”`,
      { path: column, hint: 'add a row for this value to the hierarchy, or clean the column first' },
    );
  }
  return c;
}

/** Ages: value -> 5-year band -> 10-year band -> 20-year band -> *. */
export function ageHierarchy(widths: readonly number[] = [5, 10, 20]): Hierarchy {
  return {
    name: 'age',
    height: widths.length + 2,
    levelNames: ['age', ...widths.map((w) => `${w}-year band`), '*'],
    chain(value) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 150) return undefined;
      return [String(n), ...widths.map((w) => band(n, w)), TOP];
    },
  };
}

/** Dates: day -> month -> year -> decade -> *. */
export function dateHierarchy(): Hierarchy {
  return {
    name: 'date',
    height: 5,
    levelNames: ['day', 'month', 'year', 'decade', '*'],
    chain(value) {
      const day = truncateDate(value, 'day');
      if (day === undefined || day.length !== 10) return undefined;
      const year = day.slice(0, 4);
      return [day, day.slice(0, 7), year, `${year.slice(0, 3)}0s`, TOP];
    },
  };
}

/** GB/T 2260 codes: county -> city (4 digits + 00) -> province (2 digits + 0000) -> *. */
export function divisionHierarchy(): Hierarchy {
  return {
    name: 'division',
    height: 4,
    levelNames: ['county', 'city', 'province', '*'],
    chain(value) {
      const county = generalizeDivision(value, 'county');
      if (county === undefined) return undefined;
      return [county, generalizeDivision(county, 'city')!, generalizeDivision(county, 'province')!, TOP];
    },
  };
}

/** US ZIP codes: ZIP5 -> ZIP3 (restricted areas -> 000) -> *. */
export function zipHierarchy(): Hierarchy {
  return {
    name: 'zip',
    height: 3,
    levelNames: ['zip5', 'zip3', '*'],
    chain(value) {
      const v = value.trim();
      if (!/^\d{5}(-\d{4})?$/.test(v)) return undefined;
      return [v.slice(0, 5), zip3(v), TOP];
    },
  };
}

/** A two-level hierarchy: value -> * (sex, flags, anything without structure). */
export function flatHierarchy(name = 'flat'): Hierarchy {
  return { name, height: 2, levelNames: ['value', '*'], chain: (value) => [value, TOP] };
}

/**
 * A hierarchy from CSV text where each row is `value,level1,level2,...` (the ARX format).
 * Rows must all have the same number of cells; a missing top level "*" is added.
 */
export function hierarchyFromCsv(name: string, text: string, delimiter = ','): Hierarchy {
  const map = new Map<string, readonly string[]>();
  let height = -1;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(delimiter).map((c) => c.trim());
    if (cells[cells.length - 1] !== TOP) cells.push(TOP);
    if (height === -1) height = cells.length;
    if (cells.length !== height) {
      throw deidError(
        `hierarchy "${name}" line ${i + 1} has ${cells.length} levels, expected ${height}`,
        `泛化层级“${name}”第 ${i + 1} 行有 ${cells.length} 层，应为 ${height} 层`,
        {
          path: `${name}:${i + 1}`,
          hint: 'every row must be value,level1,level2,... with the same number of cells',
        },
      );
    }
    if (map.has(cells[0]!)) {
      throw deidError(
        `hierarchy "${name}" lists value "${cells[0]}" twice (line ${i + 1})`,
        `泛化层级“${name}”重复列出取值“${cells[0]}”（第 ${i + 1} 行）`,
        { path: `${name}:${i + 1}` },
      );
    }
    map.set(cells[0]!, cells);
  });
  if (height === -1) {
    throw deidError(`hierarchy "${name}" is empty`, `泛化层级“${name}”为空`, { path: name });
  }
  checkNesting(name, map);
  return { name, height, chain: (value) => map.get(value) };
}

/** Two values that share a generalization at level i must share it at every level above. */
function checkNesting(name: string, map: ReadonlyMap<string, readonly string[]>): void {
  const parentOf = new Map<string, string>();
  for (const chain of map.values()) {
    for (let level = 1; level < chain.length - 1; level++) {
      const key = `${level}\u0000${chain[level]}`;
      const parent = chain[level + 1]!;
      const seen = parentOf.get(key);
      if (seen !== undefined && seen !== parent) {
        throw deidError(
          `hierarchy "${name}" is not a tree: "${chain[level]}" at level ${level} generalizes to both "${seen}" and "${parent}"`,
          `泛化层级“${name}”不是树：第 ${level} 层的“${chain[level]}”同时泛化为“${seen}”和“${parent}”`,
          { path: name },
        );
      }
      parentOf.set(key, parent);
    }
  }
}

export type BuiltinHierarchy = 'age' | 'date' | 'division' | 'zip' | 'flat';

export function builtinHierarchy(name: BuiltinHierarchy): Hierarchy {
  switch (name) {
    case 'age':
      return ageHierarchy();
    case 'date':
      return dateHierarchy();
    case 'division':
      return divisionHierarchy();
    case 'zip':
      return zipHierarchy();
    case 'flat':
      return flatHierarchy();
  }
}
