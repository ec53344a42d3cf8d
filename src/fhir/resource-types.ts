/**
 * The resource types Custodia stores. The list, plus Goal and ImagingStudy: Synthea emits
 * both inside its patient transactions, and a transaction is all-or-nothing, so refusing them
 * would refuse every Synthea patient.
 */
export const SUPPORTED_RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'Organization',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
  'MedicationStatement',
  'Procedure',
  'DiagnosticReport',
  'AllergyIntolerance',
  'Immunization',
  'DocumentReference',
  'CarePlan',
  'Claim',
  'ExplanationOfBenefit',
  'Consent',
  'AuditEvent',
  'Provenance',
  'Goal',
  'ImagingStudy',
] as const;

export type SupportedResourceType = (typeof SUPPORTED_RESOURCE_TYPES)[number];

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_RESOURCE_TYPES);

export const isSupportedResourceType = (type: string): type is SupportedResourceType => SUPPORTED.has(type);
