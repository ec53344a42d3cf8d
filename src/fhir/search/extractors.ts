import { parseFhirDate, periodRange, type DateRange } from '../datetime.js';
import { isRecord, type FhirResource } from '../types.js';
import type { IndexValue } from './index-values.js';
import { normalizeIdentifierValue, normalizeName, normalizePhone, isCjk } from './normalize.js';

/** An index value before the parameter name is attached. */
export type Extracted = IndexValue extends infer V ? (V extends unknown ? Omit<V, 'param'> : never) : never;

const asArray = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Tokens of a CodeableConcept, a Coding or a list of either. */
export function tokens(value: unknown): Extracted[] {
  const out: Extracted[] = [];
  for (const item of asArray(value)) {
    if (!isRecord(item)) continue;
    const codings = item['coding'] !== undefined ? asArray(item['coding']) : [item];
    for (const coding of codings) {
      if (!isRecord(coding)) continue;
      const code = str(coding['code']);
      if (code === undefined) continue;
      const system = str(coding['system']);
      out.push(system === undefined ? { kind: 'token', code } : { kind: 'token', system, code });
    }
  }
  return out;
}

export const codeToken = (value: unknown, system?: string): Extracted[] => {
  const code = str(value);
  if (code === undefined) return [];
  return [system === undefined ? { kind: 'token', code } : { kind: 'token', system, code }];
};

/** The range of a date, dateTime, instant, Period or Timing (its events). */
export function dateRanges(value: unknown): DateRange[] {
  const out: DateRange[] = [];
  for (const item of asArray(value)) {
    if (typeof item === 'string') {
      const parsed = parseFhirDate(item);
      if (parsed) out.push({ low: parsed.low, high: parsed.high });
    } else if (isRecord(item)) {
      if ('start' in item || 'end' in item) {
        const range = periodRange(str(item['start']), str(item['end']));
        if (range) out.push(range);
      } else if (item['event'] !== undefined) {
        out.push(...dateRanges(item['event']));
      }
    }
  }
  return out;
}

export const dates = (value: unknown): Extracted[] => dateRanges(value).map((r) => ({ kind: 'date', ...r }));

/** Dates of a choice element such as effective[x]: effectiveDateTime, effectivePeriod, … */
export function choiceDates(resource: FhirResource, stem: string): Extracted[] {
  return dates(
    ['DateTime', 'Period', 'Instant', 'Timing', 'Date']
      .map((suffix) => resource[`${stem}${suffix}`])
      .filter((v) => v !== undefined),
  );
}

const referencePattern = (type: string) =>
  new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[A-Za-z0-9\\-.]{1,64})?$`);
const REFERENCE_PATTERNS = new Map<string, RegExp>();

/** Ids of one resource type among References (relative or absolute); urn:uuid and other types are skipped. */
export function typedReferences(value: unknown, type: string): Extracted[] {
  let pattern = REFERENCE_PATTERNS.get(type);
  if (pattern === undefined) REFERENCE_PATTERNS.set(type, (pattern = referencePattern(type)));
  const out: Extracted[] = [];
  for (const item of asArray(value)) {
    if (!isRecord(item)) continue;
    const reference = str(item['reference']);
    const id = reference === undefined ? undefined : pattern.exec(reference)?.[1];
    if (id !== undefined && !out.some((o) => o.kind === 'reference' && o.id === id)) {
      out.push({ kind: 'reference', type, id });
    }
  }
  return out;
}

/** Patient ids among References. */
export const patientReferences = (value: unknown): Extracted[] => typedReferences(value, 'Patient');

export function identifiers(value: unknown): Extracted[] {
  const out: Extracted[] = [];
  for (const item of asArray(value)) {
    if (!isRecord(item)) continue;
    const raw = str(item['value']);
    if (raw === undefined) continue;
    const value = normalizeIdentifierValue(raw);
    const system = str(item['system']);
    out.push(system === undefined ? { kind: 'identifier', value } : { kind: 'identifier', system, value });
  }
  return out;
}

/**
 * The searchable forms of HumanNames: each family and given part, `text`, and the whole name in
 * the order its script writes it (张三: family first; Latin: given first), all normalized.
 */
export function names(value: unknown): Extracted[] {
  const found = new Set<string>();
  const add = (text: string | undefined) => {
    if (text === undefined) return;
    const n = normalizeName(text);
    if (n !== '') found.add(n);
  };
  for (const item of asArray(value)) {
    if (typeof item === 'string') {
      add(item);
      continue;
    }
    if (!isRecord(item)) continue;
    const family = str(item['family']);
    const given = asArray(item['given']).filter((g): g is string => typeof g === 'string');
    add(family);
    given.forEach(add);
    add(str(item['text']));
    if (family !== undefined && given.length > 0) {
      add(isCjk(family) ? `${family}${given.join('')}` : `${given.join(' ')} ${family}`);
    }
  }
  return [...found].map((v) => ({ kind: 'name', value: v }));
}

export function phones(value: unknown): Extracted[] {
  const out: Extracted[] = [];
  for (const item of asArray(value)) {
    if (!isRecord(item)) continue;
    const system = item['system'];
    const raw = str(item['value']);
    if ((system === 'phone' || system === 'sms') && raw !== undefined) {
      const v = normalizePhone(raw);
      if (v !== '' && !out.some((o) => o.kind === 'phone' && o.value === v))
        out.push({ kind: 'phone', value: v });
    }
  }
  return out;
}

/** Members `key` of each item of a list (e.g. agent[].who). */
export const each = (value: unknown, key: string): unknown[] =>
  asArray(value).flatMap((item) => (isRecord(item) ? asArray(item[key]) : []));
