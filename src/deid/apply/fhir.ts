import type { FhirRule } from '../config/types.js';
import { deidError } from '../errors.js';
import type { CellOperator, OperatorEnvironment } from '../operators/compile.js';
import { compileOperator } from '../operators/compile.js';
import { maskAddress, maskPersonName } from '../operators/mask.js';
import { zip3 } from '../operators/generalize.js';
import type { OperatorSpec } from '../operators/spec.js';
import { resolveFhirPath } from './fhir-paths.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The datatypes an operator understands as a whole; other complex elements may only be redacted. */
const STRUCTURED = new Set([
  'HumanName',
  'Address',
  'Identifier',
  'ContactPoint',
  'Quantity',
  'Annotation',
  'Narrative',
]);

interface CompiledRule {
  rule: FhirRule;
  segments: string[];
  leafByType: Map<string, string>;
  op: CellOperator;
  spec: OperatorSpec;
}

/** Applies profile rules to FHIR R4 resources, by path; the rules are checked when compiled. */
export class FhirDeidentifier {
  readonly #rules: CompiledRule[];
  /** Elements changed per rule path, for the report. */
  readonly counts = new Map<string, number>();

  constructor(rules: readonly FhirRule[], env: OperatorEnvironment) {
    this.#rules = rules.map((rule, i) => {
      const leafByType = resolveFhirPath(rule.path);
      for (const [type, leaf] of leafByType) {
        if (leaf !== 'primitive' && !STRUCTURED.has(leaf) && rule.operator.op !== 'redact') {
          throw deidError(
            `fhir.rules.${i}: ${type}.${rule.path.split('.').slice(1).join('.')} is a ${leaf}; only "redact" applies to it as a whole`,
            `fhir.rules.${i}：${rule.path} 是 ${leaf} 类型，只能整体删除（redact）`,
            { path: `fhir.rules.${i}`, hint: 'point the rule at a primitive element inside it' },
          );
        }
      }
      return {
        rule,
        segments: rule.path.split('.').slice(1),
        leafByType,
        op: compileOperator(rule.operator, env, `fhir.rules.${i}`),
        spec: rule.operator,
      };
    });
  }

  /** De-identifies one resource in place and returns it; a Bundle's entries are processed. */
  apply(resource: JsonObject): JsonObject {
    if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
      for (const entry of resource.entry) {
        const r = (entry as JsonObject | null)?.resource;
        if (r && typeof r === 'object' && !Array.isArray(r)) this.apply(r);
      }
      return resource;
    }
    const type = String(resource.resourceType);
    const patientKey = patientOf(resource);
    for (const c of this.#rules) {
      const leaf = c.leafByType.get(type);
      if (leaf === undefined) continue;
      this.#visit(resource, c.segments, 0, c, leaf, patientKey);
    }
    return resource;
  }

  #visit(
    node: JsonObject,
    segs: string[],
    i: number,
    c: CompiledRule,
    leaf: string,
    patientKey: string | undefined,
  ): void {
    const key = segs[i]!;
    const value = node[key];
    if (value === undefined) return;
    const last = i === segs.length - 1;
    if (!last) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === 'object' && !Array.isArray(child))
          this.#visit(child, segs, i + 1, c, leaf, patientKey);
      }
      return;
    }
    const transform = (el: Json): Json | undefined => {
      if (c.rule.where && !matches(el, c.rule.where)) return el;
      this.counts.set(c.rule.path, (this.counts.get(c.rule.path) ?? 0) + 1);
      return this.#element(el, c, leaf, patientKey);
    };
    if (Array.isArray(value)) {
      const out: Json[] = [];
      for (const el of value) {
        const t = transform(el);
        if (t !== undefined) out.push(t);
      }
      if (out.length === 0) delete node[key];
      else node[key] = out;
    } else {
      const t = transform(value);
      if (t === undefined) delete node[key];
      else node[key] = t;
    }
  }

  #element(el: Json, c: CompiledRule, leaf: string, patientKey: string | undefined): Json | undefined {
    const ctx = { patientKey };
    if (el === null || typeof el !== 'object' || Array.isArray(el)) {
      if (typeof el === 'number') {
        const out = c.op(String(el), ctx);
        if (out === undefined) return undefined;
        const n = Number(out);
        return out.trim() !== '' && Number.isFinite(n) ? n : out;
      }
      if (typeof el === 'string') return c.op(el, ctx);
      return c.spec.op === 'redact' ? undefined : el;
    }
    if (c.spec.op === 'redact') return undefined;
    switch (leaf) {
      case 'HumanName':
        return humanName(el, c, ctx);
      case 'Address':
        return address(el, c, ctx);
      case 'Annotation':
      case 'Narrative': {
        const member = leaf === 'Annotation' ? 'text' : 'div';
        const text = el[member];
        if (typeof text === 'string') {
          const out = c.op(text, ctx);
          if (out === undefined) return undefined;
          el[member] = out;
        }
        return el;
      }
      default: {
        // Identifier, ContactPoint, Quantity: the operator works on `value`.
        const v = el.value;
        if (v === undefined || v === null) return el;
        const out = this.#element(v, c, 'primitive', patientKey);
        if (out === undefined) return undefined;
        el.value = out;
        return el;
      }
    }
  }
}

function humanName(
  el: JsonObject,
  c: CompiledRule,
  ctx: { patientKey: string | undefined },
): Json | undefined {
  const family = typeof el.family === 'string' ? el.family : '';
  const given = Array.isArray(el.given) ? el.given.filter((g): g is string => typeof g === 'string') : [];
  const han = /\p{Script=Han}/u.test(family + given.join(''));
  const full =
    typeof el.text === 'string' ? el.text : han ? family + given.join('') : [...given, family].join(' ');
  if (c.spec.op === 'mask' && c.spec.format === 'name') {
    const ch = c.spec.maskChar ?? '*';
    const out: JsonObject = { ...el, text: maskPersonName(full, ch) };
    delete out.given;
    if (family !== '') out.family = han ? family : maskPersonName(family, ch);
    if (given.length > 0)
      out.given = given.map((g) => (han ? ch.repeat([...g].length) : maskPersonName(g, ch)));
    return out;
  }
  const text = c.op(full, ctx);
  if (text === undefined) return undefined;
  const out: JsonObject = { text };
  if (el.use !== undefined) out.use = el.use;
  return out;
}

function address(el: JsonObject, c: CompiledRule, ctx: { patientKey: string | undefined }): Json | undefined {
  const out: JsonObject = {};
  for (const keep of ['use', 'type', 'country', 'state']) if (el[keep] !== undefined) out[keep] = el[keep];
  if (c.spec.op === 'zip3') {
    // Safe Harbor: the state and ZIP3 may stay; everything smaller than a state goes.
    if (typeof el.postalCode === 'string') out.postalCode = zip3(el.postalCode);
    return out;
  }
  const lines = Array.isArray(el.line) ? el.line.filter((l): l is string => typeof l === 'string') : [];
  const full =
    typeof el.text === 'string'
      ? el.text
      : [el.state, el.city, el.district, ...lines].filter((p) => typeof p === 'string').join('');
  if (c.spec.op === 'mask' && c.spec.format === 'address') {
    for (const keep of ['city', 'district']) if (el[keep] !== undefined) out[keep] = el[keep];
    out.text = maskAddress(full);
    return out;
  }
  const text = c.op(full, ctx);
  if (text === undefined) return undefined;
  out.text = text;
  return out;
}

function matches(el: Json, where: Readonly<Record<string, string>>): boolean {
  if (el === null || typeof el !== 'object' || Array.isArray(el)) return false;
  return Object.entries(where).every(([k, v]) => el[k] === v);
}

/** The patient a resource belongs to, as `Patient/<id>` (the date-shift key). */
export function patientOf(resource: JsonObject): string | undefined {
  if (resource.resourceType === 'Patient' && typeof resource.id === 'string') return `Patient/${resource.id}`;
  for (const k of ['subject', 'patient', 'beneficiary']) {
    const ref = resource[k];
    if (ref && typeof ref === 'object' && !Array.isArray(ref) && typeof ref.reference === 'string') {
      return ref.reference.replace(/^urn:uuid:/, 'Patient/');
    }
  }
  return undefined;
}

export type { Json, JsonObject };
