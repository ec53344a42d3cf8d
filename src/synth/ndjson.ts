import type { FhirResource, TransactionBundle } from './fhir-types.js';

const isBundle = (item: TransactionBundle | FhirResource): item is TransactionBundle =>
  item.resourceType === 'Bundle' && Array.isArray((item as TransactionBundle).entry);

/**
 * The resources of a transaction Bundle as stand-alone resources, with `urn:uuid:` references
 * rewritten to `Type/id` (each entry's resource id is the uuid of its fullUrl), as FHIR Bulk Data
 * NDJSON expects.
 */
export function* bundleResources(bundle: TransactionBundle): Generator<FhirResource, void, undefined> {
  const targets = new Map<string, string>();
  for (const entry of bundle.entry) {
    if (entry.resource.id) targets.set(entry.fullUrl, `${entry.resource.resourceType}/${entry.resource.id}`);
  }
  for (const entry of bundle.entry) yield rewrite(entry.resource, targets);
}

function rewrite(resource: FhirResource, targets: Map<string, string>): FhirResource {
  return JSON.parse(
    JSON.stringify(resource, (key, value: unknown) =>
      key === 'reference' && typeof value === 'string' ? (targets.get(value) ?? value) : value,
    ),
  ) as FhirResource;
}

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
    const resources = isBundle(item) ? bundleResources(item) : [item];
    for (const resource of resources) {
      if (dedupe && (resource.resourceType === 'Organization' || resource.resourceType === 'Practitioner')) {
        const key = `${resource.resourceType}/${resource.id ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      yield JSON.stringify(resource) + '\n';
    }
  }
}
