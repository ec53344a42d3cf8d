import type { BundleEntry, FhirResource, Identifier, Reference, TransactionBundle } from './fhir-types.js';

/** A reference to an entry of the same transaction, by its `urn:uuid:` fullUrl. */
export const uuidRef = (id: string, display?: string): Reference =>
  display === undefined ? { reference: `urn:uuid:${id}` } : { reference: `urn:uuid:${id}`, display };

/** `identifier=system|value`: the search that makes a POST conditional (idempotent on re-import). */
export const identifierQuery = (identifier: Pick<Identifier, 'system' | 'value'>): string =>
  `identifier=${identifier.system}|${identifier.value}`;

/** Collects the entries of one transaction Bundle: each a POST, conditional on its identifier. */
export class TransactionBuilder {
  readonly entries: BundleEntry[] = [];

  add(resource: FhirResource & { id: string }, identifier: Pick<Identifier, 'system' | 'value'>): Reference {
    this.entries.push({
      fullUrl: `urn:uuid:${resource.id}`,
      resource,
      request: { method: 'POST', url: resource.resourceType, ifNoneExist: identifierQuery(identifier) },
    });
    return uuidRef(resource.id);
  }

  build(id: string, timestamp: string, leading: BundleEntry[] = []): TransactionBundle {
    return {
      resourceType: 'Bundle',
      id,
      type: 'transaction',
      timestamp,
      entry: [...leading, ...this.entries],
    };
  }
}

/** The entry for a directory resource (Organization, Practitioner) keyed by its first identifier. */
export function directoryEntry(resource: FhirResource & { id: string }): BundleEntry {
  const identifiers = resource['identifier'] as Identifier[];
  return {
    fullUrl: `urn:uuid:${resource.id}`,
    resource,
    request: { method: 'POST', url: resource.resourceType, ifNoneExist: identifierQuery(identifiers[0]!) },
  };
}
