/** The few FHIR R4 shapes the labeller touches; a full model lives in the fhir module. */
export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
  userSelected?: boolean;
}

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: {
    security?: Coding[] | undefined;
    versionId?: string | undefined;
    lastUpdated?: string | undefined;
  };
  [key: string]: unknown;
}

export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const OBSERVATION_VALUE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue';
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
/** GB/T 39725-2020 data categories, as Custodia codes them. */
export const CATEGORY_SYSTEM = 'https://custodia.dev/fhir/CodeSystem/gbt-39725-category';
/** Custodia's marker for a limited data set (HL7 has no code for it). */
export const DEIDENTIFICATION_SYSTEM = 'https://custodia.dev/fhir/CodeSystem/deidentification';
const GRADE_SYSTEM_PREFIX = 'https://custodia.dev/fhir/CodeSystem/grade/';

/** One code system per scheme, so that `_security=<system>|<grade>` finds a scheme's grade. */
export const gradeSystem = (schemeId: string): string => GRADE_SYSTEM_PREFIX + schemeId;
export const isGradeSystem = (system: string): boolean => system.startsWith(GRADE_SYSTEM_PREFIX);
