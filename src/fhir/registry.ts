import { SUPPORTED_RESOURCE_TYPES } from './resource-types.js';
import { COMMON_PARAMS, TYPE_PARAMS, type SearchParamDefinition } from './search/definitions.js';
import type { IndexValue } from './search/index-values.js';
import type { FhirResource } from './types.js';

/** R4 TypeRestfulInteraction codes. */
export type TypeInteraction =
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'create'
  | 'search-type';

/** R4 SystemRestfulInteraction codes. */
export type SystemInteraction = 'transaction' | 'batch' | 'search-system' | 'history-system';

export interface OperationRef {
  name: string;
  definition: string;
  /** The resource type it runs on, or undefined for a system-level operation. */
  type?: string;
}

export interface ResourceRegistration {
  type: string;
  interactions: readonly TypeInteraction[];
  searchParams: readonly SearchParamDefinition[];
  conditionalCreate: boolean;
}

/**
 * What this server does, per resource type: the one source the validator, the search parser,
 * the bundle planner and the CapabilityStatement all read, so that what is published is what runs.
 */
export interface FhirRegistry {
  readonly types: readonly string[];
  readonly systemInteractions: readonly SystemInteraction[];
  readonly operations: readonly OperationRef[];
  resource(type: string): ResourceRegistration | undefined;
  isSupported(type: string): boolean;
  searchParam(type: string, name: string): SearchParamDefinition | undefined;
}

export interface RegistryOptions {
  types?: readonly string[];
  /** Interactions offered on every type (default: all but patch). */
  interactions?: readonly TypeInteraction[];
  systemInteractions?: readonly SystemInteraction[];
  operations?: readonly OperationRef[];
}

export const DEFAULT_INTERACTIONS: readonly TypeInteraction[] = [
  'read',
  'vread',
  'update',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
];

export const DEFAULT_OPERATIONS: readonly OperationRef[] = [
  {
    name: 'everything',
    type: 'Patient',
    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
  },
];

export function createRegistry(options: RegistryOptions = {}): FhirRegistry {
  const types = options.types ?? SUPPORTED_RESOURCE_TYPES;
  const interactions = options.interactions ?? DEFAULT_INTERACTIONS;
  const registrations = new Map<string, ResourceRegistration>();
  const params = new Map<string, SearchParamDefinition>();
  for (const type of types) {
    const own = TYPE_PARAMS[type] ?? [];
    const searchParams = [...COMMON_PARAMS, ...own];
    registrations.set(type, {
      type,
      interactions,
      searchParams,
      conditionalCreate: interactions.includes('create'),
    });
    for (const p of searchParams) params.set(`${type}.${p.name}`, p);
  }
  return {
    types,
    systemInteractions: options.systemInteractions ?? ['transaction', 'batch'],
    operations: (options.operations ?? DEFAULT_OPERATIONS).filter(
      (op) => op.type === undefined || registrations.has(op.type),
    ),
    resource: (type) => registrations.get(type),
    isSupported: (type) => registrations.has(type),
    searchParam: (type, name) => params.get(`${type}.${name}`),
  };
}

let shared: FhirRegistry | undefined;

export function defaultRegistry(): FhirRegistry {
  shared ??= createRegistry();
  return shared;
}

/**
 * Every search index value of a resource, per the registry's parameters for its type. Values of
 * kind identifier, name and phone (and the parameters flagged `identifying`) must be blind-indexed.
 */
export function extractIndexValues(
  resource: FhirResource,
  registry: FhirRegistry = defaultRegistry(),
): IndexValue[] {
  const registration = registry.resource(resource.resourceType);
  if (!registration) return [];
  const out: IndexValue[] = [];
  for (const p of registration.searchParams) {
    for (const value of p.extract(resource)) out.push({ ...value, param: p.name } as IndexValue);
  }
  return out;
}

/**
 * The patients a resource belongs to (its Patient compartment, through the `patient` parameter):
 * the store keys encryption and sharding on it. A Patient belongs to itself.
 */
export function patientIdsOf(resource: FhirResource, registry: FhirRegistry = defaultRegistry()): string[] {
  if (resource.resourceType === 'Patient') return resource.id === undefined ? [] : [resource.id];
  const p = registry.searchParam(resource.resourceType, 'patient');
  if (!p) return [];
  return p.extract(resource).flatMap((v) => (v.kind === 'reference' ? [v.id] : []));
}
