import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { CustodiaError } from '../core/index.js';
import {
  CONFIDENTIALITY_ORDER,
  DATA_CATEGORIES,
  type ConfidentialityCode,
  type DataCategory,
  type Deidentification,
  type I18nText,
} from './scheme-model.js';

/** The code systems the value sets are written in; other systems never match. */
export type CodeFamily = 'icd10' | 'snomed' | 'loinc' | 'atc' | 'rxnorm';

export interface ValueSet {
  id: string;
  name: I18nText;
  /** The HL7 v3-ActCode sensitivity code a match carries, if any. */
  sensitivity?: string;
  confidentiality: ConfidentialityCode;
  tags: string[];
  /** ICD-10 and ATC entries are prefixes (`F32` matches `F32.900`); `F10-F19` is a range of prefixes. */
  codes: Partial<Record<CodeFamily, string[]>>;
  resourceTypes?: string[];
  observationCategories?: string[];
}

export interface ResourceTypeInfo {
  category: DataCategory;
  confidentiality: ConfidentialityCode;
  tags?: string[];
  deidentification?: Deidentification;
  /** False for types about no patient (directories, aggregates). */
  patientData?: boolean;
}

const i18n = {
  type: 'object',
  required: ['zh', 'en'],
  additionalProperties: false,
  properties: { zh: { type: 'string' }, en: { type: 'string' } },
} as const;
const codeList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

const validateValueSet = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['id', 'name', 'confidentiality', 'tags', 'codes'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: i18n,
    sensitivity: { type: 'string', pattern: '^[A-Z]+$' },
    confidentiality: { enum: [...CONFIDENTIALITY_ORDER] },
    tags: codeList,
    codes: {
      type: 'object',
      additionalProperties: false,
      properties: { icd10: codeList, snomed: codeList, loinc: codeList, atc: codeList, rxnorm: codeList },
    },
    resourceTypes: codeList,
    observationCategories: codeList,
  },
});

const validateTypes = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['default', 'types'],
  properties: {
    description: { type: 'string' },
    default: { $ref: '#/definitions/info' },
    types: { type: 'object', additionalProperties: { $ref: '#/definitions/info' } },
  },
  definitions: {
    info: {
      type: 'object',
      required: ['category', 'confidentiality'],
      additionalProperties: false,
      properties: {
        category: { enum: [...DATA_CATEGORIES] },
        confidentiality: { enum: [...CONFIDENTIALITY_ORDER] },
        tags: codeList,
        deidentification: { enum: ['identified', 'limited', 'pseudonymized', 'anonymized', 'aggregated'] },
        patientData: { type: 'boolean' },
      },
    },
  },
});

const DIR = join(import.meta.dirname, 'valuesets');

function invalid(
  file: string,
  errors: { instancePath: string; message?: string }[] | null | undefined,
): never {
  const problems = (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
  throw new CustodiaError('invalid-config', `value set file ${file} is invalid: ${problems}`, {
    zh: `值集文件 ${file} 格式错误：${problems}`,
    hint: 'fix the file under src/classify/valuesets/',
  });
}

function loadValueSets(): ValueSet[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json') && f !== 'resource-types.json')
    .sort()
    .map((file) => {
      const data: unknown = JSON.parse(readFileSync(join(DIR, file), 'utf8'));
      if (!validateValueSet(data)) invalid(file, validateValueSet.errors);
      return data as unknown as ValueSet;
    });
}

function loadResourceTypes(): { default: ResourceTypeInfo; types: Record<string, ResourceTypeInfo> } {
  const data: unknown = JSON.parse(readFileSync(join(DIR, 'resource-types.json'), 'utf8'));
  if (!validateTypes(data)) invalid('resource-types.json', validateTypes.errors);
  return data as unknown as { default: ResourceTypeInfo; types: Record<string, ResourceTypeInfo> };
}

export const VALUE_SETS: readonly ValueSet[] = loadValueSets();
export const RESOURCE_TYPES = loadResourceTypes();

export const resourceTypeInfo = (type: string): ResourceTypeInfo =>
  RESOURCE_TYPES.types[type] ?? RESOURCE_TYPES.default;

/** ICD-10 codes compare without dots and case: `B20.x00` (国家临床版 2.0) → `B20X00`. */
export const normalizeIcd10 = (code: string): string => code.replace(/[.\s]/g, '').toUpperCase();

/** `F10-F19` → F10, F11, ... F19; `C00-C97` → C00 ... C97. Plain entries pass through. */
export function expandRange(entry: string): string[] {
  const m = /^([A-Z]+)(\d+)-\1(\d+)$/.exec(entry);
  if (!m) return [normalizeIcd10(entry)];
  const [, letters, from, to] = m as unknown as [string, string, string, string];
  const out: string[] = [];
  for (let n = Number(from); n <= Number(to); n++) out.push(letters + String(n).padStart(from.length, '0'));
  return out;
}

const SYSTEM_FAMILY: Record<string, CodeFamily> = {
  'http://snomed.info/sct': 'snomed',
  'urn:oid:2.16.840.1.113883.6.96': 'snomed',
  'http://loinc.org': 'loinc',
  'urn:oid:2.16.840.1.113883.6.1': 'loinc',
  'http://www.whocc.no/atc': 'atc',
  'urn:oid:2.16.840.1.113883.6.73': 'atc',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'rxnorm',
  'urn:oid:2.16.840.1.113883.6.88': 'rxnorm',
  'urn:oid:2.16.840.1.113883.6.3': 'icd10',
  'urn:oid:2.16.840.1.113883.6.90': 'icd10',
};
const familyCache = new Map<string, CodeFamily | null>();

/**
 * Which family a code system belongs to. Any system naming ICD-10 counts as ICD-10, so the WHO
 * edition, ICD-10-CM and the Chinese national clinical version (国家临床版) under whatever URI a
 * hospital uses all match the same prefixes.
 */
export function codeFamily(system: string): CodeFamily | undefined {
  let family = familyCache.get(system);
  if (family === undefined) {
    family = SYSTEM_FAMILY[system] ?? (/icd-?10/i.test(system) ? 'icd10' : null);
    familyCache.set(system, family);
  }
  return family ?? undefined;
}

/** Prefix families match on every prefix of the normalized code; the others need the exact code. */
const PREFIX_FAMILIES: ReadonlySet<CodeFamily> = new Set(['icd10', 'atc']);

export interface ValueSetIndex {
  match(system: string, code: string): readonly ValueSet[];
  byResourceType: ReadonlyMap<string, readonly ValueSet[]>;
  byObservationCategory: ReadonlyMap<string, readonly ValueSet[]>;
}

export function buildIndex(sets: readonly ValueSet[] = VALUE_SETS): ValueSetIndex {
  const exact = new Map<string, ValueSet[]>();
  let longestPrefix = 0;
  const push = <K>(map: Map<K, ValueSet[]>, key: K, vs: ValueSet) => {
    const list = map.get(key);
    if (list) {
      if (!list.includes(vs)) list.push(vs);
    } else map.set(key, [vs]);
  };
  const byResourceType = new Map<string, ValueSet[]>();
  const byObservationCategory = new Map<string, ValueSet[]>();
  for (const vs of sets) {
    for (const [family, codes] of Object.entries(vs.codes) as [CodeFamily, string[]][]) {
      for (const entry of codes) {
        const keys = PREFIX_FAMILIES.has(family) ? expandRange(entry) : [entry];
        for (const k of keys) {
          push(exact, `${family}|${k}`, vs);
          if (PREFIX_FAMILIES.has(family)) longestPrefix = Math.max(longestPrefix, k.length);
        }
      }
    }
    for (const t of vs.resourceTypes ?? []) push(byResourceType, t, vs);
    for (const c of vs.observationCategories ?? []) push(byObservationCategory, c, vs);
  }
  const none: readonly ValueSet[] = [];
  return {
    byResourceType,
    byObservationCategory,
    match(system, code) {
      const family = codeFamily(system);
      if (!family) return none;
      if (!PREFIX_FAMILIES.has(family)) return exact.get(`${family}|${code}`) ?? none;
      const norm = normalizeIcd10(code);
      let found: ValueSet[] | undefined;
      for (let k = 1; k <= Math.min(norm.length, longestPrefix); k++) {
        const hit = exact.get(`${family}|${norm.slice(0, k)}`);
        if (hit) found = found ? [...new Set([...found, ...hit])] : hit;
      }
      return found ?? none;
    },
  };
}
