/**
 * The labels a consent query carries, from what the clinical store keeps: FHIR `meta.security`
 * codings or `system|code` search tokens. Sensitivity and confidentiality codes and the data
 * category are kept; the grade travels on its own and other systems say nothing consent reads.
 */
import { ACT_CODE_SYSTEM, CATEGORY_SYSTEM, CONFIDENTIALITY_SYSTEM } from '../classify/index.js';

const READ = new Set([ACT_CODE_SYSTEM, CATEGORY_SYSTEM, CONFIDENTIALITY_SYSTEM]);

export function labelsOf(security: readonly (string | { system?: string; code?: string })[]): string[] {
  const out = new Set<string>();
  for (const item of security) {
    let system: string | undefined;
    let code: string | undefined;
    if (typeof item === 'string') {
      const bar = item.lastIndexOf('|');
      system = bar < 0 ? undefined : item.slice(0, bar);
      code = bar < 0 ? item : item.slice(bar + 1);
    } else ({ system, code } = item);
    if (code && (system === undefined || READ.has(system))) out.add(code);
  }
  return [...out].sort();
}
