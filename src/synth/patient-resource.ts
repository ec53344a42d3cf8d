import type { FhirResource, Identifier, Reference } from './fhir-types.js';
import type { HospitalSpec } from './hospital.js';
import type { Person } from './person.js';
import {
  BCP47_SYSTEM,
  CN_MEDICAL_INSURANCE_SYSTEM,
  CN_RESIDENT_ID_SYSTEM,
  IDENTIFIER_TYPE_SYSTEM,
  SYNTHETIC_TAG,
  US_SSN_SYSTEM,
  mrnSystem,
} from './systems.js';

/** The hospital's medical record number for the person (病案号), the key of conditional create. */
export function mrnIdentifier(hospital: HospitalSpec, mrn: string, organization: Reference): Identifier {
  return {
    use: 'usual',
    type: {
      coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'MR', display: 'Medical record number' }],
      text: '病案号',
    },
    system: mrnSystem(hospital.id),
    value: mrn,
    assigner: { reference: organization.reference, display: hospital.nameZh },
  };
}

export function patientResource(
  id: string,
  p: Person,
  mrn: Identifier,
  organization: Reference,
): FhirResource & { id: string } {
  const zh = p.kind === 'zh';
  const identifier: Identifier[] = [mrn];
  if (p.residentId)
    identifier.push({
      use: 'official',
      type: {
        coding: [
          { system: IDENTIFIER_TYPE_SYSTEM, code: 'NI', display: 'National unique individual identifier' },
        ],
        text: '居民身份证',
      },
      system: CN_RESIDENT_ID_SYSTEM,
      value: p.residentId,
    });
  if (p.ssn)
    identifier.push({
      use: 'official',
      type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'SS', display: 'Social Security number' }] },
      system: US_SSN_SYSTEM,
      value: p.ssn,
    });
  if (p.insuranceNumber)
    identifier.push({
      use: 'secondary',
      type: {
        coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'SN', display: 'Subscriber Number' }],
        text: '医保卡号',
      },
      system: CN_MEDICAL_INSURANCE_SYSTEM,
      value: p.insuranceNumber,
    });
  const address: Record<string, unknown> = {
    use: 'home',
    type: 'physical',
    text: p.address.text,
    line: p.address.line,
    city: p.address.city,
  };
  if (p.address.district) address['district'] = p.address.district;
  address['state'] = p.address.state;
  if (p.address.postalCode) address['postalCode'] = p.address.postalCode;
  address['country'] = p.address.country;

  const resource: FhirResource & { id: string } = {
    resourceType: 'Patient',
    id,
    meta: { tag: [SYNTHETIC_TAG] },
    identifier,
    active: true,
    name: [{ use: 'official', text: p.name.text, family: p.name.family, given: p.name.given }],
    telecom: [{ system: 'phone', value: p.phone, use: 'mobile' }],
    gender: p.sex,
    birthDate: p.birthDate,
    address: [address],
  };
  if (p.maritalStatus)
    resource['maritalStatus'] = {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
          code: p.maritalStatus,
          display: { M: 'Married', S: 'Never Married', W: 'Widowed', D: 'Divorced' }[p.maritalStatus],
        },
      ],
    };
  if (p.contact)
    resource['contact'] = [
      {
        relationship: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v2-0131',
                code: 'C',
                display: 'Emergency Contact',
              },
            ],
            text: zh ? p.contact.relationshipZh : p.contact.relationship,
          },
        ],
        name: { text: p.contact.name },
        telecom: [{ system: 'phone', value: p.contact.phone }],
      },
    ];
  resource['communication'] = [
    {
      language: {
        coding: [
          zh
            ? { system: BCP47_SYSTEM, code: 'zh-CN', display: 'Chinese (China)' }
            : { system: BCP47_SYSTEM, code: 'en-US', display: 'English (United States)' },
        ],
      },
      preferred: true,
    },
  ];
  resource['managingOrganization'] = organization;
  return resource;
}
