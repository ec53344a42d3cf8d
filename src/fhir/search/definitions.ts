import type { FhirResource } from '../types.js';
import { IDENTIFYING_KINDS, type IndexKind } from './index-values.js';
import {
  choiceDates,
  codeToken,
  dates,
  each,
  identifiers,
  names,
  patientReferences,
  typedReferences,
  phones,
  tokens,
  type Extracted,
} from './extractors.js';

/** FHIR search parameter types this server implements. */
export type SearchParamType = 'token' | 'string' | 'date' | 'reference';

export interface SearchParamDefinition {
  name: string;
  /** The FHIR search type, as published in the CapabilityStatement. */
  type: SearchParamType;
  /** How the values are indexed and matched (see IndexValue). */
  kind: IndexKind;
  /** FHIRPath of what is indexed. */
  expression: string;
  /** The R4 SearchParameter this implements, when it is a standard one. */
  definition?: string;
  documentation: string;
  /** True when the values identify a person: the store keeps them only as blind indexes. */
  identifying: boolean;
  /** For a reference parameter: the resource type it refers to (default Patient). */
  target?: string;
  extract(resource: FhirResource): Extracted[];
}

const R4 = 'http://hl7.org/fhir/SearchParameter/';

type Spec = Omit<SearchParamDefinition, 'identifying'> & { identifying?: boolean };
const param = (spec: Spec): SearchParamDefinition => ({
  ...spec,
  identifying: spec.identifying ?? IDENTIFYING_KINDS.has(spec.kind),
});

/** Parameters every resource type has (R4 Resource search parameters). */
export const COMMON_PARAMS: readonly SearchParamDefinition[] = [
  param({
    name: '_id',
    type: 'token',
    kind: 'token',
    expression: 'Resource.id',
    definition: `${R4}Resource-id`,
    documentation: 'Logical id; a comma-separated list matches any of them.',
    extract: (r) => codeToken(r.id),
  }),
  param({
    name: '_lastUpdated',
    type: 'date',
    kind: 'date',
    expression: 'Resource.meta.lastUpdated',
    definition: `${R4}Resource-lastUpdated`,
    documentation: 'When the stored version was written.',
    extract: (r) => dates(r.meta?.lastUpdated),
  }),
  param({
    name: '_security',
    type: 'token',
    kind: 'token',
    expression: 'Resource.meta.security',
    definition: `${R4}Resource-security`,
    documentation: 'Security labels (system|code).',
    extract: (r) => tokens(r.meta?.security),
  }),
  param({
    name: '_tag',
    type: 'token',
    kind: 'token',
    expression: 'Resource.meta.tag',
    definition: `${R4}Resource-tag`,
    documentation: 'Tags (system|code).',
    extract: (r) => tokens(r.meta?.tag),
  }),
];

const patientParam = (expression: string, definition: string | undefined, extract: Spec['extract']) =>
  param({
    name: 'patient',
    type: 'reference',
    kind: 'reference',
    expression,
    ...(definition === undefined ? {} : { definition }),
    documentation: 'The patient the resource is about: Patient/{id} or {id}.',
    extract,
  });

const subjectPatient = (type: string, definition = `${R4}clinical-patient`) =>
  patientParam(`${type}.subject.where(resolve() is Patient)`, definition, (r) =>
    patientReferences(r['subject']),
  );
const patientElement = (type: string, definition = `${R4}clinical-patient`) =>
  patientParam(`${type}.patient`, definition, (r) => patientReferences(r['patient']));

/** A reference to the practitioners who look after the patient: what a care relationship is made of. */
const practitionerParam = (name: string, expression: string, definition: string, extract: Spec['extract']) =>
  param({
    name,
    type: 'reference',
    kind: 'reference',
    target: 'Practitioner',
    expression,
    definition,
    documentation:
      'A practitioner: Practitioner/{id} or {id} (PractitionerRole and RelatedPerson are not indexed).',
    extract,
  });

const codeParam = (
  expression: string,
  extract: Spec['extract'],
  documentation = 'A code (system|code, or code alone).',
  definition: string | undefined = `${R4}clinical-code`,
) =>
  param({
    name: 'code',
    type: 'token',
    kind: 'token',
    expression,
    ...(definition === undefined ? {} : { definition }),
    documentation,
    extract,
  });

const dateParam = (
  name: string,
  expression: string,
  extract: Spec['extract'],
  documentation: string,
  definition?: string,
) =>
  param({
    name,
    type: 'date',
    kind: 'date',
    expression,
    ...(definition === undefined ? {} : { definition }),
    documentation,
    extract,
  });

const identifierParam = (type: string, definition: string) =>
  param({
    name: 'identifier',
    type: 'token',
    kind: 'identifier',
    expression: `${type}.identifier`,
    definition,
    documentation: 'An identifier (system|value, or value alone); matched through a keyed blind index.',
    extract: (r) => identifiers(r['identifier']),
  });

const nameParam = (type: string, definition: string, documentation: string) =>
  param({
    name: 'name',
    type: 'string',
    kind: 'name',
    expression: `${type}.name`,
    definition,
    documentation,
    extract: (r) => names(r['name']),
  });

const PERSON_NAME_DOC =
  'A name part or the whole name, normalized (case, accents, spacing, punctuation) and matched exactly through a keyed blind index: 张三, 张, maria, "maria medina". Prefix and substring matching are not possible on blind indexes.';

/** The search parameters of each supported type, beyond COMMON_PARAMS. */
const OWN_PARAMS: Readonly<Record<string, readonly SearchParamDefinition[]>> = {
  Patient: [
    identifierParam('Patient', `${R4}Patient-identifier`),
    nameParam('Patient', `${R4}Patient-name`, PERSON_NAME_DOC),
    param({
      name: 'phone',
      type: 'token',
      kind: 'phone',
      expression: "Patient.telecom.where(system='phone' or system='sms')",
      definition: `${R4}individual-phone`,
      documentation: 'A phone number, digits only (+86/0086 dropped); matched through a keyed blind index.',
      extract: (r) => phones(r['telecom']),
    }),
    param({
      name: 'gender',
      type: 'token',
      kind: 'token',
      expression: 'Patient.gender',
      definition: `${R4}individual-gender`,
      documentation: 'male | female | other | unknown.',
      extract: (r) => codeToken(r['gender'], 'http://hl7.org/fhir/administrative-gender'),
    }),
    dateParam(
      'birthdate',
      'Patient.birthDate',
      (r) => dates(r['birthDate']),
      'Date of birth, with prefixes and partial dates. A quasi-identifier: flagged identifying so the store decides how to keep it.',
      `${R4}individual-birthdate`,
    ),
    practitionerParam(
      'general-practitioner',
      'Patient.generalPractitioner',
      `${R4}Patient-general-practitioner`,
      (r) => typedReferences(r['generalPractitioner'], 'Practitioner'),
    ),
  ].map((p) => (p.name === 'birthdate' ? { ...p, identifying: true } : p)),
  Practitioner: [
    identifierParam('Practitioner', `${R4}Practitioner-identifier`),
    nameParam('Practitioner', `${R4}Practitioner-name`, PERSON_NAME_DOC),
  ],
  Organization: [
    identifierParam('Organization', `${R4}Organization-identifier`),
    nameParam(
      'Organization',
      `${R4}Organization-name`,
      'The organization name, normalized and matched exactly.',
    ),
  ],
  Observation: [
    subjectPatient('Observation'),
    codeParam('Observation.code', (r) => tokens(r['code'])),
    dateParam(
      'date',
      'Observation.effective',
      (r) => choiceDates(r, 'effective'),
      'effective[x]: dateTime, Period, instant or Timing events.',
      `${R4}clinical-date`,
    ),
    param({
      name: 'category',
      type: 'token',
      kind: 'token',
      expression: 'Observation.category',
      definition: `${R4}Observation-category`,
      documentation: 'The category (vital-signs, laboratory, …).',
      extract: (r) => tokens(r['category']),
    }),
  ],
  Condition: [
    subjectPatient('Condition'),
    codeParam('Condition.code', (r) => tokens(r['code'])),
    dateParam(
      'date',
      'Condition.onset.as(dateTime) | Condition.onset.as(Period) | Condition.recordedDate',
      (r) => {
        const onset = choiceDates(r, 'onset');
        return onset.length > 0 ? onset : dates(r['recordedDate']);
      },
      'Custodia parameter (R4 defines no Condition date): onset[x] as dateTime or Period, or recordedDate when there is no onset date, so that date= works the same on every clinical type.',
    ),
    dateParam(
      'onset-date',
      'Condition.onset.as(dateTime) | Condition.onset.as(Period)',
      (r) => choiceDates(r, 'onset'),
      'onset[x] as dateTime or Period.',
      `${R4}Condition-onset-date`,
    ),
    dateParam(
      'recorded-date',
      'Condition.recordedDate',
      (r) => dates(r['recordedDate']),
      'When the condition was recorded.',
      `${R4}Condition-recorded-date`,
    ),
  ],
  Procedure: [
    subjectPatient('Procedure'),
    codeParam('Procedure.code', (r) => tokens(r['code'])),
    dateParam(
      'date',
      'Procedure.performed',
      (r) => choiceDates(r, 'performed'),
      'performed[x] as dateTime or Period.',
      `${R4}clinical-date`,
    ),
  ],
  MedicationRequest: [
    subjectPatient('MedicationRequest', `${R4}clinical-patient`),
    codeParam(
      'MedicationRequest.medication.as(CodeableConcept)',
      (r) => tokens(r['medicationCodeableConcept']),
      'The medication code (medicationCodeableConcept).',
      `${R4}clinical-code`,
    ),
    dateParam(
      'date',
      'MedicationRequest.authoredOn',
      (r) => dates(r['authoredOn']),
      'Custodia deviation: authoredOn. R4 defines MedicationRequest date as dosageInstruction.timing.event, which records rarely carry; authoredOn is what date= is meant to find.',
    ),
    dateParam(
      'authoredon',
      'MedicationRequest.authoredOn',
      (r) => dates(r['authoredOn']),
      'When the prescription was written.',
      `${R4}MedicationRequest-authoredon`,
    ),
  ],
  Encounter: [
    subjectPatient('Encounter'),
    practitionerParam('participant', 'Encounter.participant.individual', `${R4}Encounter-participant`, (r) =>
      typedReferences(each(r['participant'], 'individual'), 'Practitioner'),
    ),
    dateParam(
      'date',
      'Encounter.period',
      (r) => dates(r['period']),
      'The encounter period.',
      `${R4}clinical-date`,
    ),
    // Indexed so that a care relationship can tell a stay still under way from a finished one
    // without opening the sealed body (records/care.ts).
    param({
      name: 'status',
      type: 'token',
      kind: 'token',
      expression: 'Encounter.status',
      definition: `${R4}Encounter-status`,
      documentation:
        'The encounter status: planned, arrived, triaged, in-progress, onleave, finished, cancelled, …',
      extract: (r) => codeToken(r['status']),
    }),
    param({
      name: 'type',
      type: 'token',
      kind: 'token',
      expression: 'Encounter.type',
      definition: `${R4}clinical-type`,
      documentation: 'The encounter type.',
      extract: (r) => tokens(r['type']),
    }),
    codeParam(
      'Encounter.type',
      (r) => tokens(r['type']),
      'Custodia parameter (R4 defines no Encounter code): the encounter type, as `type`.',
      undefined,
    ),
  ],
  MedicationStatement: [subjectPatient('MedicationStatement')],
  DiagnosticReport: [
    subjectPatient('DiagnosticReport'),
    codeParam('DiagnosticReport.code', (r) => tokens(r['code'])),
    dateParam(
      'date',
      'DiagnosticReport.effective',
      (r) => choiceDates(r, 'effective'),
      'effective[x] as dateTime or Period.',
      `${R4}clinical-date`,
    ),
  ],
  AllergyIntolerance: [patientElement('AllergyIntolerance')],
  Immunization: [
    patientElement('Immunization'),
    dateParam(
      'date',
      'Immunization.occurrence',
      (r) => choiceDates(r, 'occurrence'),
      'occurrence[x] as dateTime.',
      `${R4}clinical-date`,
    ),
  ],
  DocumentReference: [subjectPatient('DocumentReference')],
  CarePlan: [subjectPatient('CarePlan')],
  Claim: [patientElement('Claim', `${R4}Claim-patient`)],
  ExplanationOfBenefit: [patientElement('ExplanationOfBenefit', `${R4}ExplanationOfBenefit-patient`)],
  Consent: [patientElement('Consent')],
  Goal: [subjectPatient('Goal')],
  ImagingStudy: [subjectPatient('ImagingStudy')],
  AuditEvent: [
    patientParam(
      'AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)',
      `${R4}AuditEvent-patient`,
      (r) => patientReferences([...each(r['agent'], 'who'), ...each(r['entity'], 'what')]),
    ),
    dateParam(
      'date',
      'AuditEvent.recorded',
      (r) => dates(r['recorded']),
      'When the event was recorded.',
      `${R4}AuditEvent-date`,
    ),
  ],
  Provenance: [
    patientParam('Provenance.target.where(resolve() is Patient)', `${R4}Provenance-patient`, (r) =>
      patientReferences(r['target']),
    ),
    dateParam(
      'recorded',
      'Provenance.recorded',
      (r) => dates(r['recorded']),
      'When the activity was recorded.',
      `${R4}Provenance-recorded`,
    ),
  ],
};

/**
 * Types whose business identifiers R4 makes searchable (clinical-identifier, Claim-identifier,
 * ExplanationOfBenefit-identifier): conditional creates on them make re-imports idempotent.
 */
const IDENTIFIED: Readonly<Record<string, string>> = {
  Encounter: 'clinical-identifier',
  Condition: 'clinical-identifier',
  Observation: 'clinical-identifier',
  Procedure: 'clinical-identifier',
  MedicationRequest: 'clinical-identifier',
  MedicationStatement: 'clinical-identifier',
  DiagnosticReport: 'clinical-identifier',
  AllergyIntolerance: 'clinical-identifier',
  Immunization: 'clinical-identifier',
  DocumentReference: 'clinical-identifier',
  CarePlan: 'clinical-identifier',
  Goal: 'clinical-identifier',
  ImagingStudy: 'clinical-identifier',
  Consent: 'clinical-identifier',
  Claim: 'Claim-identifier',
  ExplanationOfBenefit: 'ExplanationOfBenefit-identifier',
};

export const TYPE_PARAMS: Readonly<Record<string, readonly SearchParamDefinition[]>> = Object.fromEntries(
  Object.entries(OWN_PARAMS).map(([type, params]) => [
    type,
    IDENTIFIED[type] === undefined ? params : [...params, identifierParam(type, `${R4}${IDENTIFIED[type]}`)],
  ]),
);
