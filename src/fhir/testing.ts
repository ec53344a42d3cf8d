import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, FhirResource } from './types.js';

/**
 * The Synthea fixtures in ../shared/data/synthea, read in place (never copied into the
 * repository). Tests and benchmarks skip with a notice where they are absent.
 */
export const SYNTHEA_DIR =
  process.env.CUSTODIA_SYNTHEA_DIR ??
  join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'synthea');

export const syntheaAvailable = (): boolean => existsSync(SYNTHEA_DIR);

export const SYNTHEA_MISSING = `Synthea fixtures not found at ${SYNTHEA_DIR} (set CUSTODIA_SYNTHEA_DIR)`;

export function syntheaFiles(): string[] {
  if (!syntheaAvailable()) return [];
  return readdirSync(SYNTHEA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(SYNTHEA_DIR, f));
}

export function syntheaBundles(): { file: string; bundle: Bundle }[] {
  return syntheaFiles().map((file) => ({ file, bundle: JSON.parse(readFileSync(file, 'utf8')) as Bundle }));
}

export function syntheaResources(): FhirResource[] {
  return syntheaBundles().flatMap(({ bundle }) =>
    (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])),
  );
}
