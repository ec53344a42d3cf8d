import type { FhirRegistry } from './registry.js';
import { COMMON_PARAMS } from './search/definitions.js';
import type { FhirResource } from './types.js';

export interface CapabilityOptions {
  baseUrl: string;
  software: { name: string; version: string };
  /** When this statement was generated (ISO dateTime); a fixed value keeps it cacheable. */
  date: string;
  description?: string;
  /** How clients authenticate, as the server is actually configured (omitted when not given). */
  security?: string;
}

const RESULT_PARAMS = [
  { name: '_count', type: 'number', documentation: 'Page size: default 20, at most 1000.' },
  { name: '_offset', type: 'number', documentation: 'Skip this many matches (or page with the next link).' },
  { name: '_sort', type: 'special', documentation: 'date, -date, _lastUpdated or -_lastUpdated.' },
  {
    name: '_total',
    type: 'token',
    documentation:
      'none (default: Bundle.total only when known without counting, on the last page), estimate or accurate (counted).',
  },
];

/**
 * The CapabilityStatement of this server, generated from the registry that the validator, the
 * search parser and the bundle planner also read: it lists exactly the types, interactions,
 * search parameters and operations that run.
 */
export function capabilityStatement(registry: FhirRegistry, options: CapabilityOptions): FhirResource {
  const resource = registry.types.map((type) => {
    const registration = registry.resource(type)!;
    const interactions = registration.interactions;
    const operations = registry.operations.filter((op) => op.type === type);
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: interactions.map((code) => ({ code })),
      versioning: interactions.includes('vread') ? 'versioned-update' : 'versioned',
      readHistory: interactions.includes('vread'),
      updateCreate: false,
      conditionalCreate: registration.conditionalCreate,
      conditionalRead: 'not-supported',
      conditionalUpdate: false,
      conditionalDelete: 'not-supported',
      referencePolicy: ['literal', 'local'],
      searchParam: registration.searchParams
        .filter((p) => !COMMON_PARAMS.includes(p))
        .map((p) => ({
          name: p.name,
          ...(p.definition === undefined ? {} : { definition: p.definition }),
          type: p.type,
          documentation: p.documentation,
        })),
      ...(operations.length > 0
        ? { operation: operations.map((op) => ({ name: op.name, definition: op.definition })) }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date,
    publisher: 'Custodia',
    kind: 'instance',
    software: options.software,
    implementation: {
      description: options.description ?? 'Custodia governed FHIR R4 server',
      url: options.baseUrl,
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          "Unknown search parameters are ignored and reported unless the request says 'Prefer: handling=strict'. Identifiers, names and phone numbers are searched through keyed blind indexes: exact matches on normalized values only.",
        ...(options.security === undefined ? {} : { security: { description: options.security } }),
        resource,
        interaction: registry.systemInteractions.map((code) => ({ code })),
        searchParam: [
          ...COMMON_PARAMS.map((p) => ({
            name: p.name,
            ...(p.definition === undefined ? {} : { definition: p.definition }),
            type: p.type,
            documentation: p.documentation,
          })),
          ...RESULT_PARAMS,
        ],
        ...(registry.operations.some((op) => op.type === undefined)
          ? {
              operation: registry.operations
                .filter((op) => op.type === undefined)
                .map((op) => ({ name: op.name, definition: op.definition })),
            }
          : {}),
      },
    ],
  };
}
