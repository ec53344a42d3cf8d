/**
 * Carrying out a permit's obligations on FHIR JSON: masking identifiers with deid's format-aware
 * masks (张**, 110101********1234, 138****5678, address to district) and leaving out resources
 * that carry redacted labels. Pure: the input is not changed (the output may share the parts
 * nothing changed with it). De-identification profiles need a project key and run through deid
 * (guard's job); auditing is guard's too.
 *
 * Where a mask reaches: every resource of a person type (Patient, RelatedPerson, Person) wherever
 * it sits (top level, `contained`, a Bundle's entries, any other nested resource); the `display`
 * of every Reference to a person, or to a target whose type cannot be told; and every Identifier
 * with the resident-ID system (or the US SSN's), in whatever resource or Reference it is. The narrative (`text`) of
 * every resource is left out under any mask: it is free text that may restate a name, number or
 * address the masks hide, and free text cannot be masked reliably (HL7's de-identification
 * guidance removes it likewise). Clinical free text in elements (notes, conclusions, comments,
 * descriptions, string values, text attachments) is masked span by span with the PHI detector
 * (free-text.ts); attachments that are not text are left out.
 */
import { FhirDeidentifier, maskPersonName, maskResidentId, type JsonObject } from '../deid/index.js';
import type { FhirRule } from '../deid/index.js';
import { isAttachment, maskAttachment, maskFreeText, type KnownNames, type TextMasks } from './free-text.js';
import type { MaskField, Obligation } from './model.js';

type Json = JsonObject[string];

/** 公民身份号码 (WS/T 500 OID), the identifier system records and synth use for resident IDs. */
export const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
/** The US social security number: the national identity number the `resident-id` mask covers for US patients. */
export const US_SSN_SYSTEM = 'http://hl7.org/fhir/sid/us-ssn';
/** The identifier systems of national identity numbers: what the `resident-id` mask masks. */
const NATIONAL_ID_SYSTEMS: readonly string[] = [RESIDENT_ID_SYSTEM, US_SSN_SYSTEM];
const isNationalIdSystem = (system: unknown) =>
  typeof system === 'string' && NATIONAL_ID_SYSTEMS.includes(system);

/** Resources that name a person: where each identifier is masked. */
const PERSON_TYPES = ['Patient', 'RelatedPerson', 'Person'] as const;
const PERSON_TYPE_SET: ReadonlySet<string> = new Set(PERSON_TYPES);

const rulesFor = (field: MaskField): FhirRule[] => {
  const rules: FhirRule[] = [];
  for (const type of PERSON_TYPES) {
    switch (field) {
      case 'name':
        rules.push({ path: `${type}.name`, operator: { op: 'mask', format: 'name' } });
        break;
      case 'resident-id':
        for (const system of NATIONAL_ID_SYSTEMS)
          rules.push({
            path: `${type}.identifier`,
            where: { system },
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

// What the stored text must contain for a mask to reach the resource. Bodies are stored as
// `JSON.stringify` writes them (records), which writes keys and ASCII values literally, so these
// substrings are present whenever what they stand for is; a string that merely contains them
// costs a parse, never a leak.
const NESTED_RESOURCE = '"resourceType"';
const DISPLAY = '"display"';
/** Every Narrative has its XHTML in `div`. */
const NARRATIVE = '"div"';
/** Elements of free text: string members masked by the PHI detector, or what holds them. */
const FREE_TEXT_MEMBERS: ReadonlySet<string> = new Set([
  'conclusion',
  'comment',
  'description',
  'valueString',
  'patientInstruction',
]);
/** Their names as the stored text has them, and those of notes (`note`) and attachments. */
const FREE_TEXT = [...FREE_TEXT_MEMBERS, 'note', 'data', 'title'].map((key) => `"${key}"`);

/** Whether `text` holds `needle` at least `times` times. */
function occurs(text: Buffer | string, needle: string, times: number): boolean {
  let from = 0;
  for (let seen = 0; seen < times; seen++) {
    const at = text.indexOf(needle, from);
    if (at < 0) return false;
    from = at + needle.length;
  }
  return true;
}

/**
 * Whether masking these fields may change a resource of this type stored as `stored`: it is a
 * person, or it holds another resource (contained, a Bundle's entry: `"resourceType"` twice),
 * or a narrative or free text, or a national identity number (its system), or, for names, a `display` (a Reference
 * may name a person). Otherwise nothing a mask reaches is in it.
 */
function masksReach(fields: readonly MaskField[], resourceType: string, stored: Buffer | string): boolean {
  if (fields.length === 0) return false;
  if (PERSON_TYPE_SET.has(resourceType) || occurs(stored, NESTED_RESOURCE, 2)) return true;
  if (stored.includes(NARRATIVE) || FREE_TEXT.some((key) => stored.includes(key))) return true;
  if (fields.includes('resident-id') && NATIONAL_ID_SYSTEMS.some((system) => stored.includes(system)))
    return true;
  return fields.includes('name') && stored.includes(DISPLAY);
}

/**
 * Whether the obligations may change this resource, told from its type and stored JSON text
 * without parsing it. A redaction depends on the labels inside the body; a mask on what
 * `masksReach` finds. When they may not, the stored JSON is released as it is, without parsing,
 * copying or serializing it: a nurse's search of Observations is masked for resident IDs no
 * Observation holds.
 */
export function obligationsChange(
  obligations: readonly Obligation[],
  resourceType: string,
  stored: Buffer | string,
): boolean {
  for (const o of obligations) {
    if (o.kind === 'redact' && o.labels.length > 0) return true;
    if (o.kind === 'mask' && masksReach(o.fields, resourceType, stored)) return true;
  }
  return false;
}

/** Masks need no key, hierarchy or detector: an empty environment compiles them. */
const ENVIRONMENT = { hierarchies: new Map(), referenceDate: '2000-01-01' };

/** The masks of one set of fields: deid's rules for person resources, and the fields themselves. */
interface MaskPlan {
  person: FhirDeidentifier;
  name: boolean;
  residentId: boolean;
  /** What free text is masked for. */
  text: TextMasks;
  /** The names the resource being masked gives people (with a name mask; looked up once, if needed). */
  names?: () => KnownNames;
}

/** One compiled plan per set of fields (there are at most 15). */
const plans = new Map<string, MaskPlan>();

function planFor(fields: ReadonlySet<MaskField>): MaskPlan {
  const key = [...fields].sort().join(' ');
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = {
      person: new FhirDeidentifier([...fields].flatMap(rulesFor), ENVIRONMENT),
      name: fields.has('name'),
      residentId: fields.has('resident-id'),
      text: {
        name: fields.has('name'),
        residentId: fields.has('resident-id'),
        phone: fields.has('phone'),
        address: fields.has('address'),
      },
    };
    plans.set(key, plan);
  }
  return plan;
}

const isObject = (v: Json | undefined): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A resource type as FHIR spells one (`Patient`), not a code (`documentation`) or an id. */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;

/**
 * The type of the resource a reference string points to, when it can be told: `Type/id`, an
 * absolute URL ending so (with or without `_history/n`), a conditional `Type?…`, or `#id`, a
 * resource contained in `container` (`#` alone is the container itself). `urn:uuid:`/`urn:oid:`
 * and anything else cannot be told.
 */
function typeOfReference(reference: string, container: JsonObject | undefined): string | undefined {
  if (reference.startsWith('#')) {
    const id = reference.slice(1);
    if (id === '') return typeof container?.resourceType === 'string' ? container.resourceType : undefined;
    const contained = container?.contained;
    if (!Array.isArray(contained)) return undefined;
    const target = contained.find((r) => isObject(r) && r.id === id);
    return isObject(target) && typeof target.resourceType === 'string' ? target.resourceType : undefined;
  }
  if (reference.startsWith('urn:')) return undefined;
  const path = reference.split(/[?#]/, 1)[0]!.split('/');
  const history = path.indexOf('_history');
  const parts = history >= 0 ? path.slice(0, history) : path;
  // `Type/id` ends in the id; a conditional `Type?query` is left with the type alone.
  const type = reference.includes('?') && parts.length === 1 ? parts[0] : parts[parts.length - 2];
  return type !== undefined && RESOURCE_TYPE.test(type) ? type : undefined;
}

/** The members a Reference may have; a `display` in an object with only these is a Reference's. */
const REFERENCE_MEMBERS: ReadonlySet<string> = new Set([
  'id',
  'extension',
  'reference',
  '_reference',
  'type',
  '_type',
  'identifier',
  'display',
  '_display',
]);

/**
 * Whether an element is a Reference: it has a `reference` string (only Reference and Expression,
 * which has no display, do), or a `display` and nothing a Reference could not have (a logical or
 * display-only reference; a Coding with neither system nor code looks the same and is treated so).
 */
function isReference(node: JsonObject): boolean {
  if (typeof node.reference === 'string') return true;
  if (typeof node.display !== 'string') return false;
  for (const key of Object.keys(node)) if (!REFERENCE_MEMBERS.has(key)) return false;
  return true;
}

/**
 * Whether a Reference's display may name a person: its target is of a person type by its
 * `type` or its `reference`, or neither tells the type (`urn:uuid:`, display-only), which is
 * treated as a person, since it may be one.
 */
function mayNamePerson(ref: JsonObject, container: JsonObject | undefined): boolean {
  const stated = typeof ref.type === 'string' ? ref.type.split('/').pop() : undefined;
  const declared = stated !== undefined && RESOURCE_TYPE.test(stated) ? stated : undefined;
  const pointed = typeof ref.reference === 'string' ? typeOfReference(ref.reference, container) : undefined;
  if (declared === undefined && pointed === undefined) return true;
  return PERSON_TYPE_SET.has(declared ?? '') || PERSON_TYPE_SET.has(pointed ?? '');
}

/** The element with the masks that apply to it as a whole; itself when none changes it. */
function maskElement(node: JsonObject, plan: MaskPlan, container: JsonObject | undefined): JsonObject {
  let out = isAttachment(node) ? maskAttachment(node, plan.text, plan.names?.()) : node;
  if (plan.residentId && isNationalIdSystem(node.system) && typeof node.value === 'string') {
    const value = maskResidentId(node.value);
    if (value !== node.value) out = { ...out, value };
  }
  if (plan.name && typeof node.display === 'string' && isReference(node) && mayNamePerson(node, container)) {
    const display = maskPersonName(node.display);
    if (display !== node.display) out = { ...out, display };
  }
  return out;
}

/**
 * `node` with the plan's masks applied wherever they reach inside it; `node` itself when none
 * changes anything, copies only of what changes otherwise. `container` is the resource a `#id`
 * reference inside `node` is resolved in.
 */
function maskTree(node: Json, plan: MaskPlan, container: JsonObject | undefined): Json {
  if (Array.isArray(node)) return maskEach(node, (el) => maskTree(el, plan, container));
  if (!isObject(node)) return node;
  // A resource met anywhere but in `contained` (a Bundle's entry, a parameter) is its own container.
  if (typeof node.resourceType === 'string') return maskResource(node, plan, undefined);
  return maskMembers(maskElement(node, plan, container), plan, container);
}

/** An array with `mask` applied to each element (copy on write). */
function maskEach(list: Json[], mask: (el: Json) => Json): Json[] {
  let out: Json[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const masked = mask(list[i]!);
    if (masked !== list[i]) (out ??= [...list])[i] = masked;
  }
  return out ?? list;
}

/** An object with its members masked (copy on write); `contained` holds the container's resources. */
function maskMembers(node: JsonObject, plan: MaskPlan, container: JsonObject | undefined): JsonObject {
  let out = node;
  for (const key of Object.keys(node)) {
    const value = node[key]!;
    const masked = maskMember(node, key, value, plan, container);
    if (masked === value) continue;
    if (out === node) out = { ...node };
    out[key] = masked;
  }
  return out;
}

/** One member of `node` masked: contained resources, free text, notes, or any other element. */
function maskMember(
  node: JsonObject,
  key: string,
  value: Json,
  plan: MaskPlan,
  container: JsonObject | undefined,
): Json {
  if (typeof value === 'string') {
    if (FREE_TEXT_MEMBERS.has(key)) return maskFreeText(value, plan.text, plan.names?.());
    return key === 'authorString' && plan.name ? maskPersonName(value) : value;
  }
  if (!Array.isArray(value)) return maskTree(value, plan, container);
  if (key === 'contained' && typeof node.resourceType === 'string')
    return maskEach(value, (r) => (isObject(r) ? maskResource(r, plan, container) : r));
  if (key === 'note') return maskEach(value, (a) => (isObject(a) ? maskAnnotation(a, plan, container) : a));
  return maskTree(value, plan, container);
}

/** A note (Annotation): its text masked as free text, its author as a person. */
function maskAnnotation(note: JsonObject, plan: MaskPlan, container: JsonObject | undefined): JsonObject {
  const out = maskMembers(note, plan, container);
  if (typeof out.text !== 'string') return out;
  const text = maskFreeText(out.text, plan.text, plan.names?.());
  return text === out.text ? out : { ...out, text };
}

/**
 * A resource masked: without its narrative, a person's own identifiers by deid's rules, then
 * whatever the masks reach among its members. Its `#id` references are resolved in its container
 * when it is contained (they point at its siblings, or `#` at the container), else in itself.
 */
function maskResource(resource: JsonObject, plan: MaskPlan, containedIn: JsonObject | undefined): JsonObject {
  const plain = withoutNarrative(resource);
  const own = PERSON_TYPE_SET.has(String(plain.resourceType))
    ? plan.person.apply(structuredClone(plain))
    : plain;
  // A contained resource's free text is masked with its container's names (they include its own).
  const scoped = plan.name && containedIn === undefined ? withNamesOf(plain, plan) : plan;
  return maskMembers(own, scoped, containedIn ?? own);
}

/** The plan with the names `resource` gives people, found when free text first needs them. */
function withNamesOf(resource: JsonObject, plan: MaskPlan): MaskPlan {
  let names: KnownNames | undefined;
  return { ...plan, names: () => (names ??= namesIn(resource)) };
}

/**
 * The names a resource gives people, each with its mask: the displays of References that may
 * name a person, and the names of person resources in it (whole, and their parts of two
 * characters or more, masked whole).
 */
function namesIn(resource: JsonObject): KnownNames {
  const names = new Map<string, string>();
  const add = (name: string, masked: string) => {
    if (name.length > 1 && !names.has(name)) names.set(name, masked);
  };
  const visit = (node: Json) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    if (typeof node.display === 'string' && isReference(node) && mayNamePerson(node, resource)) {
      const display = node.display.replace(HONORIFIC, '').trim();
      const masked = maskPersonName(display);
      add(display, masked);
      for (const part of partsOf(display, masked)) add(part, '*'.repeat([...part].length));
    }
    if (PERSON_TYPE_SET.has(String(node.resourceType)) && Array.isArray(node.name))
      for (const name of node.name) if (isObject(name)) addHumanName(name, add);
    for (const value of Object.values(node)) if (typeof value === 'object') visit(value);
  };
  visit(resource);
  return names;
}

const HONORIFIC = /^(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+/;

/**
 * The parts of a name written as one string: the given name of a Chinese one (after the surname
 * its mask keeps), the words of a Latin one.
 */
function partsOf(name: string, masked: string): string[] {
  if (/\s/.test(name)) return name.split(/\s+/);
  if (!/^\p{Script=Han}/u.test(name)) return [];
  const surname = masked.indexOf('*');
  return surname > 0 ? [name.slice(surname)] : [];
}

/** A HumanName's forms: its text, family and given written together both ways, and each part. */
function addHumanName(name: JsonObject, add: (name: string, masked: string) => void): void {
  const family = typeof name.family === 'string' ? name.family : '';
  const given = Array.isArray(name.given) ? name.given.filter((g): g is string => typeof g === 'string') : [];
  const forms = [
    typeof name.text === 'string' ? name.text : '',
    family + given.join(''),
    [...given, family].filter((p) => p !== '').join(' '),
  ];
  for (const form of forms) if (form !== '') add(form, maskPersonName(form));
  for (const part of [family, ...given]) add(part, '*'.repeat([...part].length));
}

/** The resource without its `text` (Narrative); itself when it has none. */
function withoutNarrative(resource: JsonObject): JsonObject {
  if (resource.text === undefined) return resource;
  const { text: _narrative, ...rest } = resource;
  return rest;
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

/** A Bundle without the entries whose resources carry a redacted label; itself when none does. */
function withoutRedactedEntries(bundle: JsonObject, labels: ReadonlySet<string>): JsonObject {
  if (bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) return bundle;
  const kept = bundle.entry.filter((e) => {
    const r = isObject(e) ? e.resource : undefined;
    return !(isObject(r) && isRedacted(r, labels));
  });
  return kept.length === bundle.entry.length ? bundle : { ...bundle, entry: kept };
}

/**
 * The resource as the obligations allow it to be released: `undefined` when a redaction leaves
 * it out entirely; a Bundle keeps the entries that remain (its `total` is left as it is: the
 * search matched them). Returns the input itself when nothing changes. Obligations other than
 * mask and redact do not change the JSON here.
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
  let out = resource;
  if (labels.size > 0) {
    if (isRedacted(resource, labels)) return undefined;
    out = withoutRedactedEntries(out, labels);
  }
  if (fields.size > 0) out = maskResource(out, planFor(fields), undefined);
  return out;
}
