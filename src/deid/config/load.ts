import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { deidError } from '../errors.js';
import type { Hierarchy } from '../operators/hierarchy.js';
import { builtinHierarchy, hierarchyFromCsv } from '../operators/hierarchy.js';
import type { OperatorSpec } from '../operators/spec.js';
import { OPERATOR_NAMES, OPERATOR_SCHEMAS } from '../operators/spec.js';
import type { PrivacyCriterion } from '../privacy/criteria.js';
import { gbtDirectOperator, gradingFieldSpecs, safeHarborOperator } from '../profiles.js';
import type { GradingSettings } from '../grading.js';
import { gradingOperator, schemeFor } from '../grading.js';
import { CONFIG_SCHEMA } from './schema.js';
import type { DeidConfig, FhirRule } from './types.js';

const ajv = new Ajv({ allErrors: false, strict: false });
const validateConfig = ajv.compile(CONFIG_SCHEMA);
const validateOperator = new Map(
  OPERATOR_NAMES.map((name) => [name, ajv.compile({ type: 'object', ...OPERATOR_SCHEMAS[name] })]),
);

/** A profile resolved into what the engine runs: operators per field and rule, privacy settings. */
export interface DeidPlan {
  profile: NonNullable<DeidConfig['profile']>;
  fields: Map<string, OperatorSpec>;
  fhirRules: FhirRule[];
  unlisted: 'error' | 'keep' | 'drop';
  patientKey?: string | undefined;
  referenceDate?: string | undefined;
  hierarchies: Map<string, Hierarchy>;
  keys: { project?: string | undefined; tokens?: string | undefined };
  privacy?: {
    quasiIdentifiers: { name: string; hierarchy: Hierarchy; maxLevel?: number | undefined }[];
    sensitive: string[];
    criteria: PrivacyCriterion[];
    suppressionLimit: number;
    metric: 'loss' | 'discernibility' | 'entropy';
    recoding: 'global' | 'local';
    suppressedRows: 'drop' | 'mask';
    population?: string | undefined;
  };
  /** Fields by GB/T 37964 role, for the report's "identify" step. */
  roles: Record<string, string>;
  /** Set when operators for unlisted columns come from a grading scheme (resolved per input). */
  grading?: GradingSettings | undefined;
}

function keyOf(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return base === '' ? extra : `${base}.${extra}`;
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return base === '' ? missing : `${base}.${missing}`;
  }
  return base === '' ? '(root)' : base;
}

function schemaError(e: ErrorObject, prefix = ''): Error {
  const key = prefix + keyOf(e);
  const what =
    e.keyword === 'additionalProperties'
      ? 'is not a known key'
      : e.keyword === 'required'
        ? 'is required'
        : e.keyword === 'enum'
          ? `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`
          : (e.message ?? 'is invalid');
  return deidError(`profile key "${key}" ${what}`, `配置项“${key}”无效：${what}`, {
    path: key,
    hint: 'see docs for the de-identification profile format',
  });
}

/** Checks an operator spec: its name first (so a typo says "unknown operator"), then its options. */
export function checkOperator(value: unknown, path: string): OperatorSpec {
  const op = (value as { op?: unknown } | null)?.op;
  const validate = typeof op === 'string' ? validateOperator.get(op as OperatorSpec['op']) : undefined;
  if (validate === undefined) {
    throw deidError(
      `profile key "${path}.op": unknown operator ${JSON.stringify(op)} (known: ${OPERATOR_NAMES.join(', ')})`,
      `配置项“${path}.op”：未知算子 ${JSON.stringify(op)}`,
      { path: `${path}.op` },
    );
  }
  if (!validate(value)) throw schemaError(validate.errors![0]!, `${path}.`);
  return value as OperatorSpec;
}

/** Parses YAML or JSON (by extension or content) and validates it. */
export function parseConfig(text: string, source = 'profile'): DeidConfig {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw deidError(
      `${source} is not valid YAML or JSON: ${(e as Error).message}`,
      `${source} 不是有效的 YAML 或 JSON`,
      {
        path: source,
      },
    );
  }
  if (!validateConfig(raw)) throw schemaError(validateConfig.errors![0]!);
  return raw as DeidConfig;
}

export interface ResolveOptions {
  /** Where relative paths in the profile (hierarchy CSVs, population) are read from. */
  baseDir?: string;
  readText?: (path: string) => string;
}

/** Resolves a validated config into a plan: profile annotations become operators, files are read. */
export function resolveConfig(config: DeidConfig, options: ResolveOptions = {}): DeidPlan {
  const baseDir = options.baseDir ?? process.cwd();
  const read = options.readText ?? ((p: string) => readFileSync(p, 'utf8'));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const profile = config.profile ?? 'custom';

  const hierarchies = new Map<string, Hierarchy>();
  for (const name of ['age', 'date', 'division', 'zip', 'flat'] as const)
    hierarchies.set(name, builtinHierarchy(name));
  for (const [name, h] of Object.entries(config.hierarchies ?? {})) {
    if (h.builtin) hierarchies.set(name, builtinHierarchy(h.builtin));
    else {
      let text: string;
      try {
        text = read(at(h.csv!));
      } catch {
        throw deidError(`hierarchy "${name}": cannot read ${h.csv}`, `泛化层级“${name}”：无法读取 ${h.csv}`, {
          path: `hierarchies.${name}.csv`,
        });
      }
      hierarchies.set(name, hierarchyFromCsv(name, text));
    }
  }

  const fields = new Map<string, OperatorSpec>();
  const roles: Record<string, string> = {};
  const quasiFromRoles: string[] = [];
  const sensitiveFromRoles: string[] = [];
  let grading: GradingSettings | undefined;
  if (config.grading) {
    const handling: Record<string, OperatorSpec> = {};
    for (const [g, spec] of Object.entries(config.grading.handling ?? {})) {
      handling[g] = checkOperator(spec, `grading.handling.${g}`);
    }
    const grades = config.grading.grades ?? {};
    if (config.grading.scheme === undefined) {
      for (const [f, spec] of gradingFieldSpecs(handling, grades)) fields.set(f, spec);
    } else {
      const scheme = schemeFor(config.grading.scheme, 'grading.scheme');
      grading = { scheme, release: config.grading.release ?? 'large', handling, grades };
      // Unknown grades fail now, before any input is read.
      for (const g of Object.keys(handling)) gradingOperator(grading, g, 'none', `grading.handling.${g}`);
      for (const [f, g] of Object.entries(grades)) gradingOperator(grading, g, 'none', `grading.grades.${f}`);
    }
  }
  for (const [field, entry] of Object.entries(config.fields ?? {})) {
    const path = `fields.${field}`;
    if ('op' in entry) {
      fields.set(field, checkOperator(entry, path));
    } else if ('identifier' in entry) {
      fields.set(field, safeHarborOperator(entry.identifier, `${path}.identifier`));
      roles[field] = 'direct';
    } else if ('role' in entry) {
      roles[field] = entry.role;
      if (entry.role === 'direct') fields.set(field, gbtDirectOperator(entry.format, entry.technique));
      else {
        fields.set(field, { op: 'keep' });
        if (entry.role === 'quasi') quasiFromRoles.push(field);
        if (entry.role === 'sensitive') sensitiveFromRoles.push(field);
      }
    } else if ('grade' in entry) {
      const spec = config.grading?.handling?.[entry.grade];
      if (spec === undefined) {
        throw deidError(
          `${path}.grade: no handling for grade "${entry.grade}" under grading.handling`,
          `${path}.grade：grading.handling 中没有级别“${entry.grade}”的处理方式`,
          { path: `${path}.grade` },
        );
      }
      fields.set(field, checkOperator(spec, `grading.handling.${entry.grade}`));
    } else {
      throw deidError(
        `profile key "${path}" needs one of op, identifier, role or grade`,
        `配置项“${path}”必须包含 op、identifier、role 或 grade 之一`,
        { path },
      );
    }
  }

  const fhirRules: FhirRule[] = (config.fhir?.rules ?? []).map((rule, i) => {
    const path = `fhir.rules.${i}`;
    const { path: fhirPath, where, ...rest } = rule;
    const operator =
      'identifier' in rest
        ? safeHarborOperator((rest as { identifier: string }).identifier, `${path}.identifier`)
        : checkOperator(rest, path);
    return where === undefined ? { path: fhirPath, operator } : { path: fhirPath, where, operator };
  });

  const plan: DeidPlan = {
    profile,
    fields,
    fhirRules,
    unlisted: config.unlisted ?? 'error',
    patientKey: config.patientKey,
    referenceDate: config.referenceDate,
    hierarchies,
    keys: { project: config.keys?.project, tokens: config.keys?.tokens },
    roles,
    grading,
  };

  const privacy = config.privacy;
  if (profile === 'gbt-37964' && privacy === undefined && quasiFromRoles.length > 0) {
    throw deidError(
      'the GB/T 37964 profile has quasi-identifiers but no privacy section to verify them with',
      'GB/T 37964 配置包含准标识符，但缺少用于验证的 privacy 配置',
      { path: 'privacy', hint: 'add privacy.k and privacy.quasiIdentifiers with a hierarchy for each' },
    );
  }
  if (privacy) {
    const quasiIdentifiers = Object.entries(privacy.quasiIdentifiers).map(([name, q]) => {
      const h = hierarchies.get(q.hierarchy);
      if (h === undefined) {
        throw deidError(
          `privacy.quasiIdentifiers.${name}.hierarchy: unknown hierarchy "${q.hierarchy}"`,
          `privacy.quasiIdentifiers.${name}.hierarchy：未知的泛化层级“${q.hierarchy}”`,
          { path: `privacy.quasiIdentifiers.${name}.hierarchy` },
        );
      }
      const spec = fields.get(name);
      if (spec !== undefined && spec.op !== 'keep') {
        throw deidError(
          `field "${name}" is a quasi-identifier and also has operator "${spec.op}"; the privacy model generalizes it`,
          `字段“${name}”既是准标识符又指定了算子“${spec.op}”`,
          { path: `fields.${name}` },
        );
      }
      fields.set(name, { op: 'keep' });
      roles[name] = 'quasi';
      let maxLevel: number | undefined;
      if (typeof q.maxLevel === 'number') maxLevel = q.maxLevel;
      else if (typeof q.maxLevel === 'string') {
        maxLevel = h.levelNames?.indexOf(q.maxLevel) ?? -1;
        if (maxLevel < 0) {
          throw deidError(
            `privacy.quasiIdentifiers.${name}.maxLevel: hierarchy "${h.name}" has no level "${q.maxLevel}"`,
            `privacy.quasiIdentifiers.${name}.maxLevel：泛化层级“${h.name}”没有层级“${q.maxLevel}”`,
            { path: `privacy.quasiIdentifiers.${name}.maxLevel` },
          );
        }
      }
      return { name, hierarchy: h, maxLevel };
    });
    for (const f of quasiFromRoles) {
      if (!(f in privacy.quasiIdentifiers)) {
        throw deidError(
          `field "${f}" has role quasi but no entry under privacy.quasiIdentifiers`,
          `字段“${f}”被标为准标识符，但 privacy.quasiIdentifiers 中没有它`,
          { path: `privacy.quasiIdentifiers.${f}` },
        );
      }
    }
    const criteria: PrivacyCriterion[] = [{ kind: 'k-anonymity', k: privacy.k ?? 5 }];
    const sensitive = new Set<string>(sensitiveFromRoles);
    for (const [attribute, models] of Object.entries(privacy.sensitive ?? {})) {
      sensitive.add(attribute);
      fields.set(attribute, fields.get(attribute) ?? { op: 'keep' });
      roles[attribute] = 'sensitive';
      models.forEach((m, i) => {
        const path = `privacy.sensitive.${attribute}.${i}`;
        if (m.model === 't-closeness') {
          if (m.t === undefined)
            throw deidError(`${path}.t is required`, `${path}.t 为必填项`, { path: `${path}.t` });
          const distance = m.distance ?? 'equal';
          const c: PrivacyCriterion = { kind: 't-closeness', attribute, t: m.t, distance };
          if (m.hierarchy !== undefined) {
            const h = hierarchies.get(m.hierarchy);
            if (h === undefined) {
              throw deidError(
                `${path}.hierarchy: unknown hierarchy "${m.hierarchy}"`,
                `${path}.hierarchy：未知的泛化层级`,
                {
                  path: `${path}.hierarchy`,
                },
              );
            }
            c.hierarchy = h;
          }
          criteria.push(c);
        } else {
          if (m.l === undefined)
            throw deidError(`${path}.l is required`, `${path}.l 为必填项`, { path: `${path}.l` });
          criteria.push({ kind: m.model, attribute, l: m.l });
        }
      });
    }
    plan.privacy = {
      quasiIdentifiers,
      sensitive: [...sensitive],
      criteria,
      suppressionLimit: privacy.suppressionLimit ?? 0,
      metric: privacy.metric ?? 'loss',
      recoding: privacy.recoding ?? 'global',
      suppressedRows: privacy.suppressedRows ?? 'drop',
      population: privacy.population === undefined ? undefined : at(privacy.population),
    };
  }
  return plan;
}

/** Reads, validates and resolves a profile file. */
export function loadConfig(path: string, options: Omit<ResolveOptions, 'baseDir'> = {}): DeidPlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw deidError(`cannot read the profile ${path}`, `无法读取配置文件 ${path}`, { path });
  }
  return resolveConfig(parseConfig(text, path), { ...options, baseDir: dirname(resolve(path)) });
}
