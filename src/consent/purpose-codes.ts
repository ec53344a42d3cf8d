import { badRequest } from '../core/index.js';
import { PURPOSES, PURPOSE_OF_USE, isPurpose, type Purpose } from '../classify/index.js';

/** HL7 v3-ActReason, where the PurposeOfUse codes live. */
export const PURPOSE_OF_USE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
/** Custodia's codes for purposes HL7 has no code for (AI model training). */
export const CUSTODIA_PURPOSE_SYSTEM = 'https://custodia.dev/fhir/CodeSystem/purpose';

/**
 * HL7 code → purpose. Where two purposes share a code (PUBHLTH for routine public health and a
 * declared emergency), the code means the routine one: an emergency is claimed by its own name.
 */
const BY_HL7 = new Map<string, Purpose>();
for (const p of PURPOSES) {
  const code = PURPOSE_OF_USE[p];
  if (code !== undefined && !BY_HL7.has(code)) BY_HL7.set(code, p);
}

/** The purposes a person may name, as HL7 codes where HL7 has one. */
export const PURPOSE_CODES: readonly string[] = [...new Set([...BY_HL7.keys(), ...PURPOSES])];

/** A purpose from an HL7 PurposeOfUse code (TREAT, HRESCH, ...) or Custodia's name (research, ...). */
export function parsePurpose(value: string, path = 'purpose'): Purpose {
  if (isPurpose(value)) return value;
  const byCode = BY_HL7.get(value);
  if (byCode) return byCode;
  const codes = [...BY_HL7.keys()].join(', ');
  throw badRequest(`'${value}' is not a purpose of use this server knows; use one of ${codes}`, {
    path,
    zh: `“${value}”不是已知的使用目的；可用：${codes}`,
    hint: `use an HL7 PurposeOfUse code (${[...BY_HL7.keys()].join(', ')}) or one of ${PURPOSES.join(', ')}`,
  });
}

/** A purpose as a FHIR coding: HL7's code where there is one, Custodia's otherwise. */
export function purposeCoding(purpose: Purpose): { system: string; code: string } {
  const code = PURPOSE_OF_USE[purpose];
  // A declared emergency keeps its own name: PUBHLTH alone would read back as routine public health.
  if (code === undefined || BY_HL7.get(code) !== purpose)
    return { system: CUSTODIA_PURPOSE_SYSTEM, code: purpose };
  return { system: PURPOSE_OF_USE_SYSTEM, code };
}

/** A purpose from a FHIR coding, or undefined when the coding names none this server knows. */
export function purposeFromCoding(system: string | undefined, code: string | undefined): Purpose | undefined {
  if (code === undefined) return undefined;
  if (system === CUSTODIA_PURPOSE_SYSTEM) return isPurpose(code) ? code : undefined;
  if (system === PURPOSE_OF_USE_SYSTEM || system === undefined) return BY_HL7.get(code);
  return undefined;
}
