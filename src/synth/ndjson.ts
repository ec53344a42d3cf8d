import type { FhirResource, TransactionBundle } from './fhir-types.js';

const isBundle = (item: TransactionBundle | FhirResource): item is TransactionBundle =>
  item.resourceType === 'Bundle' && Array.isArray((item as TransactionBundle).entry);

/**
 * The resources of a transaction Bundle as stand-alone resources, with `urn:uuid:` references
 * rewritten to `Type/id` (each entry's resource id is the uuid of its fullUrl), as FHIR Bulk Data
 * NDJSON expects.
 */
export function* bundleResources(bundle: TransactionBundle): Generator<FhirResource, void, undefined> {
  for (const [, json] of bundleJson(bundle)) yield JSON.parse(json) as FhirResource;
}

/** Each resource of the bundle with its JSON text, references already rewritten. */
function* bundleJson(bundle: TransactionBundle): Generator<[FhirResource, string], void, undefined> {
  const targets = new Map<string, string>();
  for (const entry of bundle.entry) {
    if (entry.resource.id) targets.set(entry.fullUrl, `${entry.resource.resourceType}/${entry.resource.id}`);
  }
  // A JSON text can only hold `"reference":"urn:uuid:…"` as a member (quotes inside strings are
  // escaped), so rewriting the text is exact, and much faster than a JSON.stringify replacer.
  const rewrite = (match: string, fullUrl: string) => {
    const target = targets.get(fullUrl);
    return target === undefined ? match : `"reference":"${target}"`;
  };
  for (const entry of bundle.entry)
    yield [entry.resource, JSON.stringify(entry.resource).replace(URN_REFERENCE, rewrite)];
}

const URN_REFERENCE = /"reference":"(urn:uuid:[0-9a-f-]{36})"/g;

export interface NdjsonOptions {
  /**
   * Emit each Organization and Practitioner once, although every patient bundle repeats the ones it
   * refers to. Default true; the set of seen ids is as large as the staff, not the patients.
   */
  dedupeDirectory?: boolean;
}

/** NDJSON lines (each ending in `\n`) for Bundles and/or resources, streaming. */
export function* toNdjson(
  source: Iterable<TransactionBundle | FhirResource>,
  options: NdjsonOptions = {},
): Generator<string, void, undefined> {
  const dedupe = options.dedupeDirectory ?? true;
  const seen = new Set<string>();
  for (const item of source) {
    const items: Iterable<[FhirResource, string]> = isBundle(item)
      ? bundleJson(item)
      : [[item, JSON.stringify(item)]];
    for (const [resource, json] of items) {
      if (dedupe && (resource.resourceType === 'Organization' || resource.resourceType === 'Practitioner')) {
        const key = `${resource.resourceType}/${resource.id ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      yield json + '\n';
    }
  }
}
