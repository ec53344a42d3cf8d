import { isRecord } from '../types.js';

/** A Reference object inside a resource, found by walking it: rewriting it rewrites the resource. */
export interface ReferenceSlot {
  holder: Record<string, unknown>;
  reference: string;
}

/**
 * Every `reference` string in a resource, wherever it sits (R4 allows References in extensions,
 * backbone elements, contained resources…), so all of them are resolved, not a known few.
 */
export function collectReferences(value: unknown, out: ReferenceSlot[] = []): ReferenceSlot[] {
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) collectReferences(item, out);
  } else if (isRecord(value)) {
    for (const key in value) {
      const child = value[key];
      if (key === 'reference' && typeof child === 'string') out.push({ holder: value, reference: child });
      else if (typeof child === 'object' && child !== null) collectReferences(child, out);
    }
  }
  return out;
}
