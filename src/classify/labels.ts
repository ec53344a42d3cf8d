import {
  ACT_CODE_SYSTEM,
  CATEGORY_SYSTEM,
  CONFIDENTIALITY_SYSTEM,
  DEIDENTIFICATION_SYSTEM,
  OBSERVATION_CATEGORY_SYSTEM,
  OBSERVATION_VALUE_SYSTEM,
  gradeSystem,
  isGradeSystem,
  type Coding,
  type FhirResource,
} from './fhir-types.js';
import {
  CONFIDENTIALITY_ORDER,
  type ConfidentialityCode,
  type DataCategory,
  type Deidentification,
  type GradeRef,
  type GradingScheme,
} from './scheme-model.js';
import { assignGrade } from './schemes.js';
import { VALUE_SETS, buildIndex, resourceTypeInfo, type ValueSet } from './valuesets.js';

export interface LabelReason {
  kind: 'code' | 'resource-type' | 'observation-category' | 'existing-label' | 'grade-rule';
  /** A code, a type or a rule: never a value from the record. */
  text: string;
}

export interface ResourceLabels {
  /** The codings for `meta.security`: confidentiality, sensitivity codes, category, grade. */
  security: Coding[];
  grade: GradeRef;
  category: DataCategory;
  confidentiality: ConfidentialityCode;
  sensitivity: string[];
  tags: string[];
  deidentification: Deidentification;
  reasons: LabelReason[];
}

const SENSITIVITY_DISPLAY: Record<string, string> = {
  HIV: 'HIV/AIDS information sensitivity',
  PSY: 'psychiatry disorder information sensitivity',
  ETH: 'substance abuse information sensitivity',
  GDIS: 'genetic disease information sensitivity',
  SDV: 'sexual assault, abuse, or domestic violence information sensitivity',
  SEX: 'sexuality and reproductive health information sensitivity',
  STD: 'sexually transmitted disease information sensitivity',
};
const CONFIDENTIALITY_DISPLAY: Record<ConfidentialityCode, string> = {
  U: 'unrestricted',
  L: 'low',
  M: 'moderate',
  N: 'normal',
  R: 'restricted',
  V: 'very restricted',
};
const DEID_CODES: Record<string, Deidentification> = {
  AGGRED: 'aggregated',
  ANONYED: 'anonymized',
  PSEUDED: 'pseudonymized',
};
const DEID_ORDER: readonly Deidentification[] = [
  'identified',
  'limited',
  'pseudonymized',
  'anonymized',
  'aggregated',
];

/** The sensitivity codes the value sets assign: only these are replaced on relabelling. */
export const MANAGED_SENSITIVITY: ReadonlySet<string> = new Set(
  VALUE_SETS.flatMap((v) => (v.sensitivity ? [v.sensitivity] : [])),
);

const index = buildIndex();
const rankOf = (c: ConfidentialityCode) => CONFIDENTIALITY_ORDER.indexOf(c);
const maxConfidentiality = (a: ConfidentialityCode, b: ConfidentialityCode) =>
  rankOf(b) > rankOf(a) ? b : a;

/**
 * Works out a resource's security labels and its grade under `scheme`, from the codes it carries
 * (ICD-10 incl. 国家临床版, SNOMED CT, LOINC, ATC), its resource type, its observation
 * category and labels a person set by hand (`userSelected`), which are kept as they are.
 */
export function labelResource(resource: FhirResource, scheme: GradingScheme): ResourceLabels {
  const type = resource.resourceType;
  const info = resourceTypeInfo(type);
  const reasons: LabelReason[] = [{ kind: 'resource-type', text: `${type}: ${info.category}` }];
  const hits = new Map<ValueSet, string>();
  const tags = new Set(info.tags ?? []);
  const sensitivity = new Set<string>();
  let confidentiality = info.confidentiality;
  let deidentification: Deidentification = info.deidentification ?? 'identified';

  for (const vs of index.byResourceType.get(type) ?? []) hits.set(vs, `resource type ${type}`);
  forEachCoding(resource, (system, code, path) => {
    if (system === OBSERVATION_CATEGORY_SYSTEM && path === 'category') {
      for (const vs of index.byObservationCategory.get(code) ?? [])
        if (!hits.has(vs)) hits.set(vs, `observation category ${code}`);
      return;
    }
    for (const vs of index.match(system, code)) if (!hits.has(vs)) hits.set(vs, `${path} ${system}|${code}`);
  });
  for (const [vs, why] of hits) {
    if (vs.sensitivity) sensitivity.add(vs.sensitivity);
    for (const t of vs.tags) tags.add(t);
    confidentiality = maxConfidentiality(confidentiality, vs.confidentiality);
    reasons.push({
      kind: why.startsWith('observation') ? 'observation-category' : 'code',
      text: `${why} in value set ${vs.id}`,
    });
  }

  for (const c of resource.meta?.security ?? []) {
    if (!c.code || !c.system) continue;
    if (c.system === OBSERVATION_VALUE_SYSTEM && DEID_CODES[c.code]) {
      deidentification = moreRemoved(deidentification, DEID_CODES[c.code]!);
      reasons.push({ kind: 'existing-label', text: `${c.system}|${c.code}` });
    } else if (c.system === DEIDENTIFICATION_SYSTEM && c.code === 'limited') {
      deidentification = moreRemoved(deidentification, 'limited');
      reasons.push({ kind: 'existing-label', text: `${c.system}|${c.code}` });
    } else if (c.userSelected === true && c.system === ACT_CODE_SYSTEM && MANAGED_SENSITIVITY.has(c.code)) {
      sensitivity.add(c.code);
      reasons.push({ kind: 'existing-label', text: `set by hand: ${c.code}` });
    } else if (c.userSelected === true && c.system === CONFIDENTIALITY_SYSTEM && isConfidentiality(c.code)) {
      confidentiality = maxConfidentiality(confidentiality, c.code);
      reasons.push({ kind: 'existing-label', text: `set by hand: confidentiality ${c.code}` });
    }
  }
  if (sensitivity.size > 0) confidentiality = maxConfidentiality(confidentiality, 'R');

  const sensitivityList = [...sensitivity].sort();
  const tagList = [...tags].sort();
  const { grade, rule } = assignGrade(scheme, {
    resourceType: type,
    category: info.category,
    sensitivity: sensitivityList,
    tags: tagList,
    deidentification,
  });
  reasons.push({
    kind: 'grade-rule',
    text: rule ? `${scheme.id} ${grade.id}: ${rule.reason.en}` : `${scheme.id} default grade ${grade.id}`,
  });
  confidentiality = maxConfidentiality(confidentiality, grade.confidentiality);

  const security: Coding[] = [
    {
      system: CONFIDENTIALITY_SYSTEM,
      code: confidentiality,
      display: CONFIDENTIALITY_DISPLAY[confidentiality],
    },
    ...sensitivityList.map((code) => ({
      system: ACT_CODE_SYSTEM,
      code,
      display: SENSITIVITY_DISPLAY[code] ?? code,
    })),
    { system: CATEGORY_SYSTEM, code: info.category },
    { system: gradeSystem(scheme.id), code: grade.id, display: grade.name.en },
  ];
  return {
    security,
    grade: { scheme: scheme.id, grade: grade.id },
    category: info.category,
    confidentiality,
    sensitivity: sensitivityList,
    tags: tagList,
    deidentification,
    reasons,
  };
}

const isConfidentiality = (code: string): code is ConfidentialityCode =>
  (CONFIDENTIALITY_ORDER as readonly string[]).includes(code);
const moreRemoved = (a: Deidentification, b: Deidentification) =>
  DEID_ORDER.indexOf(b) > DEID_ORDER.indexOf(a) ? b : a;

/** True for the codings Custodia computes, which a relabelling replaces; codings a person chose are kept. */
function isManaged(c: Coding): boolean {
  if (!c.system || c.userSelected === true) return false;
  if (c.system === CONFIDENTIALITY_SYSTEM || c.system === CATEGORY_SYSTEM || isGradeSystem(c.system))
    return true;
  return c.system === ACT_CODE_SYSTEM && c.code !== undefined && MANAGED_SENSITIVITY.has(c.code);
}

/**
 * Writes labels into `meta.security`, replacing the codings Custodia manages and keeping every
 * other one (de-identification markers, policy labels, codes a person set by hand). Returns a new
 * resource object; the input is not changed.
 */
export function applyLabels<R extends FhirResource>(resource: R, labels: ResourceLabels): R {
  const kept = (resource.meta?.security ?? []).filter((c) => !isManaged(c));
  const security = [...kept];
  for (const c of labels.security) {
    if (!kept.some((k) => k.system === c.system && k.code === c.code)) security.push(c);
  }
  return { ...resource, meta: { ...resource.meta, security } };
}

/** Labels a resource afresh, e.g. after the tenant's scheme changed. */
export const relabel = <R extends FhirResource>(resource: R, scheme: GradingScheme): R =>
  applyLabels(resource, labelResource(resource, scheme));

/** The `system|code` tokens a `_security=` search matches, one per security coding. */
export function securityTokens(source: FhirResource | ResourceLabels | readonly Coding[]): string[] {
  const codings: readonly Coding[] = Array.isArray(source)
    ? source
    : 'resourceType' in source
      ? ((source as FhirResource).meta?.security ?? [])
      : (source as ResourceLabels).security;
  const out: string[] = [];
  for (const c of codings) if (c.code) out.push(`${c.system ?? ''}|${c.code}`);
  return out;
}

/**
 * Calls `visit` for every `{system, code}` pair inside a resource (contained resources included),
 * with the name of the top-level element it sits under. Narrative and meta are skipped: they hold
 * no codes to classify.
 */
function forEachCoding(
  resource: FhirResource,
  visit: (system: string, code: string, path: string) => void,
): void {
  for (const key in resource) {
    if (key === 'meta' || key === 'text' || key === 'resourceType' || key === 'id') continue;
    walk(resource[key], key, visit);
  }
}

function walk(
  node: unknown,
  path: string,
  visit: (system: string, code: string, path: string) => void,
): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) walk(item, path, visit);
    return;
  }
  const o = node as Record<string, unknown>;
  const system = o.system;
  const code = o.code;
  if (typeof system === 'string' && typeof code === 'string') visit(system, code, path);
  for (const key in o) {
    const v = o[key];
    if (v !== null && typeof v === 'object') walk(v, path, visit);
  }
}
