import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { CustodiaError, notFound } from '../core/index.js';
import { PURPOSES, type Purpose } from './purposes.js';
import type {
  AssignmentRule,
  ClassificationFacts,
  Grade,
  GradeSource,
  GradingScheme,
  HandlingRules,
  HandlingRulesSource,
  SchemeSource,
} from './scheme-model.js';
import { schemeJsonSchema } from './scheme-schema.js';

const validateSource = new Ajv({ allErrors: true, strict: true }).compile(schemeJsonSchema);

/** Uses that concern the person's own care or own request: the seed's grade conditions govern everything else. */
const PRIMARY_USES: readonly Purpose[] = ['treatment', 'emergency-treatment', 'patient-request'];

/**
 * Validates a scheme document and builds the typed scheme, deriving the summary handling fields.
 * Throws `invalid-config` naming the file (or `origin`) and every problem found.
 */
export function buildScheme(source: unknown, origin = 'scheme'): GradingScheme {
  if (!validateSource(source)) {
    const problems = (validateSource.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    throw new CustodiaError('invalid-config', `grading scheme ${origin} is invalid: ${problems.join('; ')}`, {
      zh: `分级方案 ${origin} 格式错误：${problems.join('；')}`,
      hint: 'fix the scheme file against src/classify/scheme-schema.ts',
      path: validateSource.errors?.[0]?.instancePath,
    });
  }
  const s = source as unknown as SchemeSource;
  const problems: string[] = [];
  const ids = new Set<string>();
  const ranks = new Set<number>();
  for (const g of s.grades) {
    if (ids.has(g.id)) problems.push(`grade ${g.id} appears twice`);
    if (ranks.has(g.rank)) problems.push(`rank ${g.rank} is used by two grades`);
    ids.add(g.id);
    ranks.add(g.rank);
  }
  if (!ids.has(s.defaultGrade)) problems.push(`defaultGrade ${s.defaultGrade} is not a grade`);
  s.assignment.forEach((r, i) => {
    if (!ids.has(r.grade)) problems.push(`assignment[${i}] names unknown grade ${r.grade}`);
  });
  if (problems.length > 0)
    throw new CustodiaError(
      'invalid-config',
      `grading scheme ${origin} is inconsistent: ${problems.join('; ')}`,
      {
        zh: `分级方案 ${origin} 内容不一致：${problems.join('；')}`,
        hint: 'every grade id and rank must be unique, and rules may name only grades the scheme defines',
      },
    );
  const grades = [...s.grades].sort((a, b) => a.rank - b.rank).map(buildGrade);
  return deepFreeze({
    id: s.id,
    version: s.version,
    name: s.name,
    description: s.description,
    source: s.source,
    grades,
    assignment: s.assignment,
    defaultGrade: s.defaultGrade,
    safeHarborIdentifiers: s.safeHarborIdentifiers ?? [],
  });
}

function buildGrade(g: GradeSource): Grade {
  return { ...g, handling: deriveHandling(g.handling) };
}

function deriveHandling(h: HandlingRulesSource): HandlingRules {
  const allowed = PURPOSES.filter((p) => h.purposes[p] !== undefined);
  const secondary = allowed.filter((p) => !PRIMARY_USES.includes(p));
  const rules = secondary.map((p) => h.purposes[p]!);
  const defaultConsent: Partial<Record<Purpose, 'permit' | 'deny'>> = {};
  for (const p of allowed) {
    const c = h.purposes[p]!.consent;
    defaultConsent[p] = c === 'not-required' || c === 'opt-out' ? 'permit' : 'deny';
  }
  const narrowed = secondary.length < PURPOSES.length - PRIMARY_USES.length;
  return {
    ...h,
    allowedPurposes: allowed,
    requiresSeparateConsent: rules.length > 0 && rules.every((r) => r.consent === 'separate'),
    requiresPurposeIn: narrowed ? secondary : undefined,
    requiresPrivacyComputing: rules.some((r) => r.requiresPrivacyComputing === true),
    requiresDeidentification: rules.some((r) => r.requiresDeidentification === true),
    requiresInstitutionalFiling: rules.some((r) => r.requiresInstitutionalFiling === true),
    defaultConsent,
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const SCHEME_DIR = join(import.meta.dirname, 'schemes');
const registry = new Map<string, GradingScheme>();

function loadBuiltIns(): void {
  for (const file of readdirSync(SCHEME_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const scheme = buildScheme(JSON.parse(readFileSync(join(SCHEME_DIR, file), 'utf8')), file);
    if (`${scheme.id}.json` !== file)
      throw new CustodiaError('invalid-config', `scheme file ${file} declares id ${scheme.id}`, {
        hint: 'name each scheme file after its id',
      });
    registry.set(scheme.id, scheme);
  }
}
loadBuiltIns();

/** The built-in schemes: seed-3-grade, gbt-39725-2020, hipaa. */
export const BUILT_IN_SCHEMES = Object.freeze([...registry.keys()]);

/** Adds a scheme (a tenant's own, validated like the built-ins). Its id must be new. */
export function registerScheme(source: unknown): GradingScheme {
  const scheme = buildScheme(source);
  if (registry.has(scheme.id))
    throw new CustodiaError('conflict', `a grading scheme with id ${scheme.id} already exists`, {
      zh: `分级方案 ${scheme.id} 已存在`,
      hint: 'choose another id, or version the scheme as <id>-v2',
    });
  registry.set(scheme.id, scheme);
  return scheme;
}

export const listSchemes = (): GradingScheme[] => [...registry.values()];

export function getScheme(id: string): GradingScheme {
  const scheme = registry.get(id);
  if (scheme) return scheme;
  const valid = [...registry.keys()];
  throw notFound(`unknown grading scheme "${id}"; valid schemes: ${valid.join(', ')}`, {
    zh: `未知的分级方案“${id}”，可用的方案：${valid.join('、')}`,
    hint: `use one of ${valid.join(', ')}`,
    extensions: { scheme: id, valid },
  });
}

export function getGrade(schemeOrId: GradingScheme | string, gradeId: string): Grade {
  const scheme = typeof schemeOrId === 'string' ? getScheme(schemeOrId) : schemeOrId;
  const grade = scheme.grades.find((g) => g.id === gradeId);
  if (grade) return grade;
  const valid = scheme.grades.map((g) => g.id);
  throw notFound(`unknown grade "${gradeId}" in scheme ${scheme.id}; valid grades: ${valid.join(', ')}`, {
    zh: `分级方案 ${scheme.id} 中没有等级“${gradeId}”，可用的等级：${valid.join('、')}`,
    hint: `use one of ${valid.join(', ')}`,
    extensions: { scheme: scheme.id, grade: gradeId, valid },
  });
}

/** The more sensitive of two grades of one scheme. */
export function maxGrade(scheme: GradingScheme, a: string, b: string): string {
  return getGrade(scheme, a).rank >= getGrade(scheme, b).rank ? a : b;
}

/** Positive when grade `a` is more sensitive than `b`. */
export const compareGrades = (scheme: GradingScheme, a: string, b: string): number =>
  getGrade(scheme, a).rank - getGrade(scheme, b).rank;

/** The first matching assignment rule decides; none matching gives the default grade. */
export function assignGrade(
  scheme: GradingScheme,
  facts: ClassificationFacts,
): { grade: Grade; rule: AssignmentRule | undefined } {
  for (const rule of scheme.assignment) {
    if (matches(rule, facts)) return { grade: getGrade(scheme, rule.grade), rule };
  }
  return { grade: getGrade(scheme, scheme.defaultGrade), rule: undefined };
}

function matches({ when }: AssignmentRule, f: ClassificationFacts): boolean {
  if (when.anySensitivity && !when.anySensitivity.some((c) => f.sensitivity.includes(c))) return false;
  if (when.anyTag && !when.anyTag.some((t) => f.tags.includes(t))) return false;
  if (when.category && !when.category.includes(f.category)) return false;
  if (when.resourceType && (f.resourceType === undefined || !when.resourceType.includes(f.resourceType)))
    return false;
  if (when.deidentification && !when.deidentification.includes(f.deidentification)) return false;
  if (
    when.identifierKind &&
    (f.identifierKind === undefined || !when.identifierKind.includes(f.identifierKind))
  )
    return false;
  if (
    when.identifierType &&
    (f.identifierType === undefined || !when.identifierType.includes(f.identifierType))
  )
    return false;
  return true;
}

/**
 * The conditions for using a grade for a purpose, or a refusal naming the purposes it allows.
 * This is what the policy and consent modules ask.
 */
export function handlingFor(
  scheme: GradingScheme,
  gradeId: string,
  purpose: Purpose,
):
  | { allowed: true; rule: NonNullable<HandlingRules['purposes'][Purpose]> }
  | { allowed: false; reason: string; zh: string } {
  const grade = getGrade(scheme, gradeId);
  const rule = grade.handling.purposes[purpose];
  if (rule) return { allowed: true, rule };
  const allowed = grade.handling.allowedPurposes.join(', ');
  return {
    allowed: false,
    reason: `${scheme.id} ${grade.id} data may not be used for ${purpose}; allowed purposes: ${allowed}`,
    zh: `${grade.name.zh}不得用于该目的（${purpose}），允许的目的：${allowed}`,
  };
}
