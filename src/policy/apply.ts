/**
 * Carrying out a permit's obligations on FHIR JSON: masking identifiers with deid's format-aware
 * masks (张**, 110101********1234, 138****5678, address to district) and leaving out resources
 * that carry redacted labels. Pure: the input is not changed. De-identification profiles need a
 * project key and run through deid (guard's job); auditing is guard's too.
 */
import { FhirDeidentifier, type JsonObject } from '../deid/index.js';
import type { FhirRule } from '../deid/index.js';
import type { MaskField, Obligation } from './model.js';

/** 公民身份号码 (WS/T 500 OID), the identifier system records and synth use for resident IDs. */
export const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';

/** Resources that name a person: where each identifier is masked. */
const PERSON_TYPES = ['Patient', 'RelatedPerson', 'Person'] as const;

const rulesFor = (field: MaskField): FhirRule[] => {
  const rules: FhirRule[] = [];
  for (const type of PERSON_TYPES) {
    switch (field) {
      case 'name':
        rules.push({ path: `${type}.name`, operator: { op: 'mask', format: 'name' } });
        break;
      case 'resident-id':
        rules.push({
          path: `${type}.identifier`,
          where: { system: RESIDENT_ID_SYSTEM },
          operator: { op: 'mask', format: 'resident-id' },
        });
        break;
      case 'phone':
        rules.push({
          path: `${type}.telecom`,
          where: { system: 'phone' },
          operator: { op: 'mask', format: 'phone' },
        });
        break;
      case 'address':
        rules.push({ path: `${type}.address`, operator: { op: 'mask', format: 'address' } });
        break;
    }
  }
  // A patient's contacts (next of kin) are people too.
  if (field === 'name')
    rules.push({ path: 'Patient.contact.name', operator: { op: 'mask', format: 'name' } });
  if (field === 'phone')
    rules.push({
      path: 'Patient.contact.telecom',
      where: { system: 'phone' },
      operator: { op: 'mask', format: 'phone' },
    });
  if (field === 'address')
    rules.push({ path: 'Patient.contact.address', operator: { op: 'mask', format: 'address' } });
  return rules;
};

/** The resource types a mask changes: people's records, and Bundles through their entries. */
const MASKED_TYPES: ReadonlySet<string> = new Set([...PERSON_TYPES, 'Bundle']);

/**
 * Whether the obligations may change a resource of this type. A mask only reaches the people
 * types (the rules above name no other); a redaction depends on the labels inside the body. When
 * they may not, the stored JSON is released as it is, without parsing, copying or serializing it:
 * a nurse's search of Observations is masked for resident IDs no Observation holds.
 */
export function obligationsChange(obligations: readonly Obligation[], resourceType: string): boolean {
  for (const o of obligations) {
    if (o.kind === 'redact' && o.labels.length > 0) return true;
    if (o.kind === 'mask' && o.fields.length > 0 && MASKED_TYPES.has(resourceType)) return true;
  }
  return false;
}

/** Masks need no key, hierarchy or detector: an empty environment compiles them. */
const ENVIRONMENT = { hierarchies: new Map(), referenceDate: '2000-01-01' };
/** One compiled masker per set of fields (there are at most 15). */
const maskers = new Map<string, FhirDeidentifier>();

function maskerFor(fields: readonly MaskField[]): FhirDeidentifier {
  const key = [...fields].sort().join(' ');
  let masker = maskers.get(key);
  if (masker === undefined) {
    masker = new FhirDeidentifier([...new Set(fields)].flatMap(rulesFor), ENVIRONMENT);
    maskers.set(key, masker);
  }
  return masker;
}

/** The security label codes of a resource (`meta.security[].code`). */
export function securityCodes(resource: JsonObject): Set<string> {
  const out = new Set<string>();
  const meta = resource.meta;
  if (meta && typeof meta === 'object' && !Array.isArray(meta) && Array.isArray(meta.security))
    for (const c of meta.security)
      if (c && typeof c === 'object' && !Array.isArray(c) && typeof c.code === 'string') out.add(c.code);
  return out;
}

const isRedacted = (resource: JsonObject, labels: ReadonlySet<string>) => {
  for (const code of securityCodes(resource)) if (labels.has(code)) return true;
  return false;
};

/**
 * The resource as the obligations allow it to be released: `undefined` when a redaction leaves
 * it out entirely; a Bundle keeps the entries that remain (its `total` is left as it is: the
 * search matched them). Obligations other than mask and redact do not change the JSON here.
 */
export function applyObligations(
  resource: JsonObject,
  obligations: readonly Obligation[],
): JsonObject | undefined {
  const fields = new Set<MaskField>();
  const labels = new Set<string>();
  for (const o of obligations) {
    if (o.kind === 'mask') for (const f of o.fields) fields.add(f);
    else if (o.kind === 'redact') for (const l of o.labels) labels.add(l);
  }
  const masks = fields.size > 0 && MASKED_TYPES.has(String(resource.resourceType));
  if (!masks && labels.size === 0) return resource;
  if (labels.size > 0 && isRedacted(resource, labels)) return undefined;
  // Not redacted, and nothing to mask or filter: no copy needed.
  if (!masks && resource.resourceType !== 'Bundle') return resource;
  let out = structuredClone(resource);
  if (labels.size > 0 && out.resourceType === 'Bundle' && Array.isArray(out.entry)) {
    out.entry = out.entry.filter((e) => {
      const r = e && typeof e === 'object' && !Array.isArray(e) ? e.resource : undefined;
      return !(r && typeof r === 'object' && !Array.isArray(r) && isRedacted(r, labels));
    });
  }
  if (masks) out = maskerFor([...fields]).apply(out);
  return out;
}
