import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { badRequest, isCustodiaError } from '../../core/index.js';
import type { GradeRef, GradingScheme } from '../scheme-model.js';
import { assignGrade, getScheme } from '../schemes.js';
import { buildIndex } from '../valuesets.js';
import {
  IDENTIFIER_INFO,
  IDENTIFIER_TYPES,
  VALUE_SHAPES,
  headerEvidence,
  startClass,
  type IdentifierType,
} from './identifier-types.js';

export interface TypeCandidate {
  type: IdentifierType;
  confidence: number;
  /** Share of non-empty values that have this type's shape (weighted by how telling the shape is). */
  valueEvidence: number;
  headerEvidence: number;
}

export interface ColumnProposal {
  index: number;
  header: string;
  /** `none` when no type reaches the threshold. */
  proposedType: IdentifierType | 'none';
  kind: 'direct' | 'quasi' | 'none';
  /** 0..1: how sure the proposal is; for `none`, one minus the best candidate's confidence. */
  confidence: number;
  candidates: TypeCandidate[];
  nonEmpty: number;
  empty: number;
  /** Distinct values among the sampled ones, divided by the sample size. */
  distinctRatio: number;
  /** HL7 sensitivity codes found in a diagnosis-code column (HIV, PSY, ...). */
  sensitivity: string[];
  grade: GradeRef;
  gradeName: { zh: string; en: string };
  reason: string;
  /** A few sampled values, masked: enough for a steward to recognise the kind, not the person. */
  examples: string[];
}

export interface DiscoveryReport {
  scheme: string;
  rows: number;
  columns: ColumnProposal[];
}

export interface DiscoveryOptions {
  /** Scheme for the grade proposals; default `seed-3-grade`. */
  scheme?: string | GradingScheme;
  /** Values kept per column for the distinct-ratio estimate and examples; default 256. */
  sampleSize?: number;
  /** A type is proposed from this confidence on; default 0.5. */
  threshold?: number;
  delimiter?: string;
}

/** After this many values a shape that has (almost) never matched stops being tried: its share could no longer matter. */
const PRUNE_AFTER = 10_000;
const PRUNE_BELOW = 0.001;

interface ColumnState {
  header: string;
  nonEmpty: number;
  empty: number;
  shapeHits: number[];
  shapeTried: number[];
  active: boolean[];
  sample: string[];
  seen: number;
  sensitivity: Map<string, number>;
}

const valueSetIndex = buildIndex();
const ICD10_SYSTEM = 'http://hl7.org/fhir/sid/icd-10';

/**
 * An accumulator over the rows of a table: constant memory per column (counters and a reservoir
 * sample), so a million-row file costs what a thousand-row one does.
 */
export class ColumnDiscovery {
  private readonly columns: ColumnState[];
  private rows = 0;
  private readonly sampleSize: number;
  private readonly scheme: GradingScheme;
  private readonly threshold: number;
  // A tiny xorshift generator: reservoir sampling needs many cheap random numbers, not secure ones.
  private rng = 0x9e3779b9;

  constructor(headers: readonly string[], options: DiscoveryOptions = {}) {
    this.sampleSize = options.sampleSize ?? 256;
    this.threshold = options.threshold ?? 0.5;
    this.scheme =
      typeof options.scheme === 'object' ? options.scheme : getScheme(options.scheme ?? 'seed-3-grade');
    this.columns = headers.map((header) => ({
      header,
      nonEmpty: 0,
      empty: 0,
      shapeHits: VALUE_SHAPES.map(() => 0),
      shapeTried: VALUE_SHAPES.map(() => 0),
      active: VALUE_SHAPES.map(() => true),
      sample: [],
      seen: 0,
      sensitivity: new Map(),
    }));
  }

  add(record: readonly unknown[]): void {
    this.rows++;
    const n = Math.min(record.length, this.columns.length);
    for (let i = 0; i < n; i++) {
      const raw = record[i];
      const value = raw === null || raw === undefined ? '' : String(raw).trim();
      const col = this.columns[i]!;
      if (value === '') {
        col.empty++;
        continue;
      }
      col.nonEmpty++;
      this.observe(col, value);
    }
    for (let i = n; i < this.columns.length; i++) this.columns[i]!.empty++;
  }

  private observe(col: ColumnState, value: string): void {
    const cls = startClass(value);
    for (let s = 0; s < VALUE_SHAPES.length; s++) {
      if (!col.active[s]) continue;
      const shape = VALUE_SHAPES[s]!;
      col.shapeTried[s]!++;
      if (shape.starts.includes(cls) && shape.test(value)) {
        col.shapeHits[s]!++;
        if (shape.id === 'icd10')
          for (const vs of valueSetIndex.match(ICD10_SYSTEM, value))
            if (vs.sensitivity)
              col.sensitivity.set(vs.sensitivity, (col.sensitivity.get(vs.sensitivity) ?? 0) + 1);
      }
      if (col.shapeTried[s] === PRUNE_AFTER && col.shapeHits[s]! < PRUNE_AFTER * PRUNE_BELOW)
        col.active[s] = false;
    }
    col.seen++;
    if (col.sample.length < this.sampleSize) col.sample.push(value);
    else {
      const j = this.random() % col.seen;
      if (j < this.sampleSize) col.sample[j] = value;
    }
  }

  private random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  get rowCount(): number {
    return this.rows;
  }

  finish(): DiscoveryReport {
    return {
      scheme: this.scheme.id,
      rows: this.rows,
      columns: this.columns.map((c, i) => this.propose(c, i)),
    };
  }

  private propose(col: ColumnState, index: number): ColumnProposal {
    const header = headerEvidence(col.header);
    const distinct = col.sample.length === 0 ? 0 : new Set(col.sample).size / col.sample.length;
    const candidates: TypeCandidate[] = [];
    for (const type of IDENTIFIER_TYPES) {
      let value = 0;
      VALUE_SHAPES.forEach((shape, s) => {
        const w = shape.weights[type];
        if (w === undefined || col.shapeTried[s] === 0) return;
        value = Math.max(value, (col.shapeHits[s]! / col.shapeTried[s]!) * w);
      });
      // A column of a few repeated two-character words is a code list, not names.
      if (type === 'name' && col.sample.length >= 50 && distinct < 0.1) value *= 0.4;
      const h = header.get(type) ?? 0;
      const confidence = col.nonEmpty === 0 ? h * 0.8 : 1 - (1 - h) * (1 - value);
      if (confidence > 0)
        candidates.push({
          type,
          confidence: round(confidence),
          valueEvidence: round(value),
          headerEvidence: h,
        });
    }
    candidates.sort((a, b) => b.confidence - a.confidence);
    const best = candidates[0];
    const proposed = best && best.confidence >= this.threshold ? best : undefined;
    const sensitivity = [...col.sensitivity.keys()].sort();
    const kind = proposed ? IDENTIFIER_INFO[proposed.type].kind : 'none';
    const { grade, rule } = assignGrade(this.scheme, {
      category: proposed?.type === 'diagnosis-code' ? 'health-status' : 'personal-attribute',
      sensitivity,
      tags: [],
      deidentification: 'identified',
      identifierKind: kind,
      identifierType: proposed?.type,
    });
    return {
      index,
      header: col.header,
      proposedType: proposed?.type ?? 'none',
      kind,
      confidence: proposed ? proposed.confidence : round(1 - (best?.confidence ?? 0)),
      candidates: candidates.slice(0, 3),
      nonEmpty: col.nonEmpty,
      empty: col.empty,
      distinctRatio: round(distinct),
      sensitivity,
      grade: { scheme: this.scheme.id, grade: grade.id },
      gradeName: grade.name,
      reason: rule ? rule.reason.en : `${this.scheme.id} default grade`,
      examples: col.sample.slice(0, 3).map(maskValue),
    };
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Keeps the first and last character (the first only for short values): 张** , 1101************12. */
export function maskValue(value: string): string {
  const chars = [...value];
  if (chars.length <= 1) return '*';
  if (chars.length <= 3) return chars[0] + '*'.repeat(chars.length - 1);
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

export type CsvSource = string | Buffer | Readable | AsyncIterable<string | Buffer>;

/**
 * Streams a CSV (first record = headers) and proposes an identifier type and grade per column.
 * A malformed file fails with a `bad-request` naming the line and the column; values never
 * appear in the error, since they may be identifying.
 */
export async function discoverCsv(
  source: CsvSource,
  options: DiscoveryOptions = {},
): Promise<DiscoveryReport> {
  const input =
    typeof source === 'string' || Buffer.isBuffer(source)
      ? Readable.from([source])
      : source instanceof Readable
        ? source
        : Readable.from(source);
  let headers: string[] = [];
  let headerSeen = false;
  // The parser works ahead of the loop below, so an error can surface before the loop has seen
  // the header: capture it as the parser reads it, for the error message.
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    delimiter: options.delimiter ?? ',',
    on_record: (record: string[]) => {
      if (!headerSeen) headers = record.map((h) => h.trim());
      headerSeen = true;
      return record;
    },
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let discovery: ColumnDiscovery | undefined;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!discovery) {
        discovery = new ColumnDiscovery(headers, options);
      } else discovery.add(record);
    }
  } catch (e) {
    throw csvError(e, headers);
  }
  if (!discovery)
    throw badRequest('the CSV is empty: expected a header row', {
      zh: 'CSV 文件为空：第一行应为表头',
      hint: 'send a file whose first line names the columns',
    });
  return discovery.finish();
}

/** Discovery over rows already in memory or read from a database table. */
export function discoverRows(
  headers: readonly string[],
  rows: Iterable<readonly unknown[]>,
  options: DiscoveryOptions = {},
): DiscoveryReport {
  const discovery = new ColumnDiscovery(headers, options);
  for (const row of rows) discovery.add(row);
  return discovery.finish();
}

const CSV_REASONS: Record<string, { en: string; zh: string }> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: {
    en: 'the row has a different number of fields than the header',
    zh: '该行字段数与表头不一致',
  },
  CSV_QUOTE_NOT_CLOSED: { en: 'a quoted field is never closed', zh: '引号字段未闭合' },
  CSV_INVALID_CLOSING_QUOTE: {
    en: 'a closing quote is followed by something other than a delimiter',
    zh: '闭合引号后紧跟了非分隔符的字符',
  },
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: {
    en: 'characters follow a closing quote',
    zh: '闭合引号后有多余字符',
  },
  CSV_INVALID_OPENING_QUOTE: { en: 'a quote opens in the middle of a field', zh: '字段中间出现了引号' },
  CSV_MAX_RECORD_SIZE: { en: 'a record is too large', zh: '记录过大' },
};

function csvError(e: unknown, headers: readonly string[]): unknown {
  if (isCustodiaError(e)) return e;
  const err = e as { code?: unknown; lines?: unknown; column?: unknown; record?: unknown };
  if (typeof err.code !== 'string' || !err.code.startsWith('CSV_')) return e;
  const line = typeof err.lines === 'number' ? err.lines : undefined;
  // For a wrong field count, `column` is the number of fields found: the first extra or missing one.
  let columnIndex = typeof err.column === 'number' ? err.column : undefined;
  let detail = '';
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && columnIndex !== undefined) {
    detail = ` (expected ${headers.length} fields, found ${columnIndex})`;
    columnIndex = Math.min(columnIndex, headers.length);
  }
  const columnName =
    columnIndex === undefined
      ? 'unknown'
      : (headers[columnIndex] ?? `#${columnIndex + 1} (beyond the header)`);
  const reason = CSV_REASONS[err.code] ?? { en: err.code, zh: err.code };
  return badRequest(
    `malformed CSV at line ${line ?? 'unknown'}, column ${columnName}: ${reason.en}${detail}`,
    {
      zh: `CSV 格式错误：第 ${line ?? '?'} 行，列“${columnName}”：${reason.zh}`,
      hint: 'fix the file (quote fields that contain commas, line breaks or quotes) and upload it again',
      path: `line ${line ?? '?'}, column ${columnName}`,
      extensions: { line, column: columnName, columnIndex, csvCode: err.code },
    },
  );
}
