import { issue, type ValidationIssue } from './issues.js';

/**
 * Top-level elements that R4 makes mandatory (min 1) but the JSON schema cannot require: a
 * primitive may be sent as its `_element` extension alone, and a choice element [x] is spread
 * over several properties. Taken from the R4 StructureDefinitions of the supported types.
 */
const REQUIRED: Record<string, readonly string[]> = {
  Bundle: ['type'],
  Observation: ['status'],
  Encounter: ['status'],
  MedicationRequest: ['status', 'intent', 'medication[x]'],
  MedicationStatement: ['status', 'medication[x]'],
  Procedure: ['status'],
  DiagnosticReport: ['status'],
  Immunization: ['status', 'occurrence[x]'],
  DocumentReference: ['status'],
  CarePlan: ['status', 'intent'],
  Claim: ['status', 'use', 'created'],
  ExplanationOfBenefit: ['status', 'use', 'created', 'outcome'],
  Consent: ['status'],
  AuditEvent: ['recorded'],
  Provenance: ['recorded'],
  Goal: ['lifecycleStatus'],
  ImagingStudy: ['status'],
};

const present = (value: Record<string, unknown>, element: string): boolean => {
  if (element.endsWith('[x]')) {
    const stem = element.slice(0, -3);
    for (const key in value)
      if (key.startsWith(stem) && key.length > stem.length && key.charCodeAt(stem.length) < 91) return true;
    return false;
  }
  return value[element] !== undefined || value[`_${element}`] !== undefined;
};

export function checkRequiredElements(
  value: Record<string, unknown>,
  type: string,
  path: string,
  out: ValidationIssue[],
): void {
  const required = REQUIRED[type];
  if (!required) return;
  for (const element of required) {
    if (!present(value, element)) {
      out.push(
        issue(
          'required',
          `${path}.${element}`,
          `Required element '${element}' is missing`,
          `缺少必填元素 '${element}'`,
        ),
      );
    }
  }
}
