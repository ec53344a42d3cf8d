/**
 * The forms a `Reference.reference` may take in R4 (§2.3.0, References): relative `Type/id`
 * (optionally versioned), an absolute URL, a `urn:uuid:`/`urn:oid:` inside Bundles, a `#id`
 * pointing at a contained resource, and a conditional `Type?query` inside transactions.
 */

const ID = '[A-Za-z0-9\\-.]{1,64}';
const RELATIVE = new RegExp(`^([A-Z][A-Za-z]+)/${ID}(/_history/${ID})?$`);
const CONTAINED = /^#[A-Za-z0-9\-.]{0,64}$/;
const URN_UUID = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const URN_OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const CONDITIONAL = /^([A-Z][A-Za-z]+)\?\S+$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

export function isValidReference(value: string, resourceTypes: ReadonlySet<string>): boolean {
  const c0 = value.charCodeAt(0);
  if (c0 === 35 /* # */) return CONTAINED.test(value);
  const relative = RELATIVE.exec(value);
  if (relative) return resourceTypes.has(relative[1]!);
  if (value.startsWith('urn:')) return URN_UUID.test(value) || URN_OID.test(value);
  const conditional = CONDITIONAL.exec(value);
  if (conditional) return resourceTypes.has(conditional[1]!);
  return ABSOLUTE.test(value);
}

export const REFERENCE_FORMS =
  "'Type/id', 'Type/id/_history/vid', an absolute URL, 'urn:uuid:…', 'urn:oid:…', '#contained-id' or (in transactions) 'Type?search'";
