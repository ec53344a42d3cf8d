import { badRequest } from '../../core/index.js';
import { parseFhirDate, type DatePrecision } from '../datetime.js';
import { defaultRegistry, type FhirRegistry } from '../registry.js';
import { ISSUES_EXTENSION, issue, type ValidationIssue } from '../validation/issues.js';
import { DATE_PREFIXES, datePredicates, type DatePrefix, type RangePredicate } from './date-match.js';
import type { SearchParamDefinition } from './definitions.js';
import { normalizeIdentifierValue, normalizeName, normalizePhone } from './normalize.js';

/** `Prefer: handling=strict` refuses unknown parameters; `lenient` (the default) ignores and reports them. */
export type Handling = 'strict' | 'lenient';

/** A token to match: `system|code`, `code` (any system), `|code` (no system), `system|` (any code). */
export interface TokenQuery {
  system?: string;
  code?: string;
  /** `|code`: only codings without a system. */
  noSystem?: boolean;
}

export interface DateQuery {
  prefix: DatePrefix;
  low: number;
  high: number;
  precision: DatePrecision;
  /** OR of ANDed bounds on a stored [low, high): see datePredicates. */
  predicates: RangePredicate[];
}

interface CriterionBase {
  param: string;
  /** The value as sent, for paging links. */
  raw: string;
  modifier?: string;
}

/** One parameter occurrence: its values are alternatives (comma = OR); criteria are ANDed. */
export type SearchCriterion = CriterionBase &
  (
    | { kind: 'token'; values: TokenQuery[] }
    | { kind: 'identifier'; values: { system?: string; value: string }[] }
    | { kind: 'name'; values: string[] }
    | { kind: 'phone'; values: string[] }
    | { kind: 'date'; values: DateQuery[] }
    | { kind: 'reference'; values: { type: string; id: string }[] }
  );

export type SortKey = 'date' | '_lastUpdated';
export const TOTAL_MODES = ['none', 'estimate', 'accurate'] as const;
export type TotalMode = (typeof TOTAL_MODES)[number];

export interface ParsedSearch {
  resourceType: string;
  criteria: SearchCriterion[];
  count: number;
  offset: number;
  cursor?: string;
  sort: { param: SortKey; descending: boolean }[];
  /**
   * `_total`: whether Bundle.total must be counted. Without it the total is given only when it is
   * known without counting (the last page); a count over every match costs more than the page.
   */
  total: TotalMode;
  /** Warnings for the searchset's OperationOutcome: ignored parameters, a lowered _count. */
  issues: ValidationIssue[];
}

export type QueryInput = string | URLSearchParams | Record<string, string | readonly string[] | undefined>;

export interface SearchOptions {
  registry?: FhirRegistry;
  handling?: Handling;
  /** For the `ap` prefix, which is relative to now. */
  now?: number;
  defaultCount?: number;
  maxCount?: number;
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters that change the response format only: accepted and otherwise ignored. */
const FORMAT_PARAMS = new Set(['_format', '_pretty']);
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json']);
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const CURSOR = /^[A-Za-z0-9_\-.~]{1,512}$/;

export function parsePreferHandling(prefer: string | undefined): Handling {
  if (prefer === undefined) return 'lenient';
  return /(?:^|[;,\s])handling\s*=\s*strict\b/i.test(prefer) ? 'strict' : 'lenient';
}

function pairs(input: QueryInput): [string, string][] {
  if (typeof input === 'string')
    return [...new URLSearchParams(input.startsWith('?') ? input.slice(1) : input)];
  if (input instanceof URLSearchParams) return [...input];
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (typeof value === 'string') out.push([key, value]);
    else for (const v of value) out.push([key, v]);
  }
  return out;
}

/** Splits on a separator not escaped by a backslash, then unescapes (R4 search §3.1.1.3.6). */
export function splitEscaped(text: string, separator: ',' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Splits `a|b` once on the first unescaped bar, keeping escapes for the parts' own parsing. */
function splitBar(text: string): [string, string] | undefined {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '|') return [text.slice(0, i), text.slice(i + 1)];
  }
  return undefined;
}

const unescape = (text: string): string => text.replace(/\\(.)/g, '$1');

class Malformed extends Error {
  constructor(
    readonly en: string,
    readonly zh: string,
  ) {
    super(en);
  }
}

function parseToken(value: string): TokenQuery {
  const bar = splitBar(value);
  if (!bar) return { code: unescape(value) };
  const [system, code] = bar.map(unescape) as [string, string];
  if (system === '' && code === '')
    throw new Malformed('a token needs a system or a code', '令牌需要 system 或 code');
  if (system === '') return { code, noSystem: true };
  if (code === '') return { system };
  return { system, code };
}

function parseIdentifier(value: string): { system?: string; value: string } {
  const token = parseToken(value);
  if (token.code === undefined || token.code.trim() === '') {
    throw new Malformed(
      'an identifier search needs a value (system|value or value)',
      '标识符检索需要取值（system|value 或 value）',
    );
  }
  const v = normalizeIdentifierValue(token.code);
  return token.system === undefined ? { value: v } : { system: token.system, value: v };
}

function parseDate(value: string, now: number): DateQuery {
  const head = value.slice(0, 2);
  const prefix = (DATE_PREFIXES as readonly string[]).includes(head) ? (head as DatePrefix) : 'eq';
  const text = (prefix === head ? value.slice(2) : value)
    // An unencoded '+' in a zone offset arrives as a space after form decoding.
    .replace(' ', '+');
  const parsed = parseFhirDate(text, { allowMinutes: true, allowMissingZone: true });
  if (!parsed) {
    throw new Malformed(
      'expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]] with prefix eq, ne, lt, gt, le, ge, sa, eb or ap',
      '应为 [前缀]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]]，前缀为 eq、ne、lt、gt、le、ge、sa、eb 或 ap',
    );
  }
  return { prefix, ...parsed, predicates: datePredicates(prefix, parsed, now) };
}

function parseReference(value: string, definition: SearchParamDefinition): { type: string; id: string } {
  const target = definition.target ?? 'Patient';
  const match = /^(?:(?:[a-z][a-z0-9+.-]*:\/\/\S*\/)?([A-Z][A-Za-z]+)\/)?([A-Za-z0-9\-.]{1,64})$/.exec(value);
  if (!match) throw new Malformed(`expected ${target}/{id} or {id}`, `应为 ${target}/{id} 或 {id}`);
  const [, type = target, id = ''] = match;
  if (type !== target) {
    throw new Malformed(
      `${definition.name} refers to ${target} resources, not ${type}`,
      `${definition.name} 只能引用 ${target}，不能引用 ${type}`,
    );
  }
  return { type, id };
}

function parseValues(definition: SearchParamDefinition, raw: string, now: number): SearchCriterion {
  const values =
    definition.kind === 'token' || definition.kind === 'identifier'
      ? splitCommaKeepEscapes(raw)
      : splitEscaped(raw, ',');
  if (values.some((v) => v === ''))
    throw new Malformed('empty value in a comma-separated list', '逗号分隔的列表中有空值');
  const base = { param: definition.name, raw };
  switch (definition.kind) {
    case 'token':
      return { ...base, kind: 'token', values: values.map(parseToken) };
    case 'identifier':
      return { ...base, kind: 'identifier', values: values.map(parseIdentifier) };
    case 'name': {
      const names = values.map(normalizeName);
      if (names.some((n) => n === '')) throw new Malformed('a name needs letters', '姓名需要包含文字');
      return { ...base, kind: 'name', values: names };
    }
    case 'phone': {
      const phones = values.map(normalizePhone);
      if (phones.some((p) => p === ''))
        throw new Malformed('a phone number needs digits', '电话号码需要包含数字');
      return { ...base, kind: 'phone', values: phones };
    }
    case 'date':
      return { ...base, kind: 'date', values: values.map((v) => parseDate(v, now)) };
    case 'reference':
      return { ...base, kind: 'reference', values: values.map((v) => parseReference(v, definition)) };
  }
}

/** Token lists split on commas but keep `\|` escapes for parseToken. */
function splitCommaKeepEscapes(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i]!;
      current += next === ',' ? ',' : `\\${next}`;
    } else if (c === ',') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

const MODIFIERS_BY_KIND: Partial<Record<SearchCriterion['kind'], readonly string[]>> = {
  // Names are matched exactly on their normal form: `:exact` asks for no more than that.
  name: ['exact'],
};

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw searchError([
      issue(
        'value',
        name,
        `Search parameter '${name}' must be a non-negative integer`,
        `检索参数 '${name}' 必须是非负整数`,
      ),
    ]);
  }
  return Number(value);
}

const SEARCH_HINT =
  'See the CapabilityStatement (GET /fhir/metadata) for the supported parameters and their forms';

/** A 400 whose message is the first issue's (search issues already name their parameter). */
function searchError(issues: ValidationIssue[], hint = SEARCH_HINT) {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return badRequest(`${first?.message ?? 'Invalid search'}${more}`, {
    zh: first?.zh ?? '检索参数无效',
    path: first?.expression,
    hint,
    extensions: { [ISSUES_EXTENSION]: issues },
  });
}

/**
 * Parses and validates a search query for one resource type against the registry. Malformed
 * values of supported parameters are always a 400 naming the parameter: silently dropping a
 * filter would return more data than was asked for. Unknown parameters and unsupported modifiers
 * are a 400 under `strict` and a reported warning under `lenient`.
 */
export function parseSearch(
  resourceType: string,
  query: QueryInput,
  options: SearchOptions = {},
): ParsedSearch {
  const registry = options.registry ?? defaultRegistry();
  const handling = options.handling ?? 'lenient';
  const now = options.now ?? Date.now();
  const maxCount = options.maxCount ?? MAX_COUNT;
  const registration = registry.resource(resourceType);
  if (!registration) {
    throw badRequest(
      `Resource type '${resourceType}' is not supported; supported types: ${registry.types.join(', ')}`,
      {
        zh: `不支持资源类型 '${resourceType}'；支持的类型：${registry.types.join(', ')}`,
        path: resourceType,
      },
    );
  }
  const result: ParsedSearch = {
    resourceType,
    criteria: [],
    count: Math.min(options.defaultCount ?? DEFAULT_COUNT, maxCount),
    offset: 0,
    sort: [],
    total: 'none',
    issues: [],
  };
  const unknown: ValidationIssue[] = [];
  const ignore = (name: string, en: string, zh: string) =>
    unknown.push(
      issue(
        'not-supported',
        name,
        `Search parameter '${name}' ${en}`,
        `检索参数 '${name}' ${zh}`,
        handling === 'strict' ? 'error' : 'warning',
      ),
    );
  const malformed = (name: string, en: string, zh: string) =>
    searchError([issue('value', name, `Search parameter '${name}': ${en}`, `检索参数 '${name}'：${zh}`)]);
  const hasDate = registration.searchParams.some((p) => p.name === 'date');

  for (const [key, value] of pairs(query)) {
    const [name = '', modifier] = key.split(':', 2) as [string, string | undefined];
    if (value === '') continue; // R4: a parameter without a value is ignored.
    if (FORMAT_PARAMS.has(name)) {
      if (name === '_format' && !JSON_FORMATS.has(value)) {
        throw malformed(
          name,
          'only JSON is served (json, application/fhir+json)',
          '仅支持 JSON（json、application/fhir+json）',
        );
      }
      continue;
    }
    if (name === '_count') {
      const count = nonNegativeInteger(name, value);
      if (count > maxCount) {
        result.issues.push(
          issue(
            'too-costly',
            '_count',
            `_count lowered to the maximum of ${maxCount}`,
            `_count 已降至上限 ${maxCount}`,
            'information',
          ),
        );
      }
      result.count = Math.min(count, maxCount);
      continue;
    }
    if (name === '_offset') {
      result.offset = nonNegativeInteger(name, value);
      continue;
    }
    if (name === '_total') {
      if (!(TOTAL_MODES as readonly string[]).includes(value))
        throw malformed(name, `is one of ${TOTAL_MODES.join(', ')}`, `取值为 ${TOTAL_MODES.join('、')} 之一`);
      result.total = value as TotalMode;
      continue;
    }
    if (name === '_cursor') {
      if (!CURSOR.test(value))
        throw malformed(name, 'not a cursor this server issued', '不是本服务器签发的游标');
      result.cursor = value;
      continue;
    }
    if (name === '_sort') {
      for (const item of value.split(',')) {
        const descending = item.startsWith('-');
        const param = descending ? item.slice(1) : item;
        if (param !== '_lastUpdated' && !(param === 'date' && hasDate)) {
          throw malformed(
            name,
            `can sort by ${hasDate ? 'date, -date, ' : ''}_lastUpdated or -_lastUpdated`,
            `只能按 ${hasDate ? 'date、-date、' : ''}_lastUpdated 或 -_lastUpdated 排序`,
          );
        }
        result.sort.push({ param, descending });
      }
      continue;
    }
    if (name.includes('.')) {
      ignore(key, 'is chained; chained search is not supported', '为链式检索，不受支持');
      continue;
    }
    const definition = registration.searchParams.find((p) => p.name === name);
    if (!definition) {
      ignore(name, `is not supported on ${resourceType}`, `不适用于 ${resourceType}`);
      continue;
    }
    if (modifier !== undefined && !(MODIFIERS_BY_KIND[definition.kind] ?? []).includes(modifier)) {
      ignore(key, `uses the unsupported modifier ':${modifier}'`, `使用了不支持的修饰符 ':${modifier}'`);
      continue;
    }
    if (name === '_id' && !splitEscaped(value, ',').every((v) => ID.test(v))) {
      throw malformed(
        name,
        'ids are 1 to 64 letters, digits, "-" or "."',
        'ID 为 1 至 64 个字母、数字、“-” 或 “.”',
      );
    }
    try {
      const criterion = parseValues(definition, value, now);
      result.criteria.push(modifier === undefined ? criterion : { ...criterion, modifier });
    } catch (e) {
      if (e instanceof Malformed) throw malformed(key, e.en, e.zh);
      throw e;
    }
  }
  if (result.offset > 0 && result.cursor !== undefined) {
    throw malformed('_offset', 'cannot be combined with _cursor', '不能与 _cursor 同时使用');
  }
  if (unknown.length > 0 && handling === 'strict') {
    throw searchError(
      unknown,
      "Remove the parameter, or send 'Prefer: handling=lenient' to have unknown parameters ignored",
    );
  }
  result.issues.push(...unknown);
  return result;
}

/**
 * The query string a searchset link must carry to repeat this search at another page: only the
 * parameters that were applied, in a stable order.
 */
export function formatSearchQuery(
  search: ParsedSearch,
  page: { offset?: number; cursor?: string } = {},
): string {
  const params = new URLSearchParams();
  for (const c of search.criteria) params.append(c.modifier ? `${c.param}:${c.modifier}` : c.param, c.raw);
  if (search.sort.length > 0)
    params.set('_sort', search.sort.map((s) => (s.descending ? '-' : '') + s.param).join(','));
  params.set('_count', String(search.count));
  if (search.total !== 'none') params.set('_total', search.total);
  const cursor = 'cursor' in page ? page.cursor : search.cursor;
  const offset = 'offset' in page ? page.offset : search.offset;
  if (cursor !== undefined) params.set('_cursor', cursor);
  else if (offset !== undefined && offset > 0) params.set('_offset', String(offset));
  return params.toString();
}
