import { badRequest } from '../core/index.js';
import { DEPARTMENTS, type DepartmentKey } from './catalog.js';
import { chineseName } from './chinese-names.js';
import { divisionByCode, divisionPrefix, divisionsNear } from './divisions.js';
import type { FhirResource, Identifier } from './fhir-types.js';
import { Random } from './random.js';
import {
  CN_HEALTHCARE_ORGANIZATION_SYSTEM,
  CN_PRACTITIONER_LICENSE_SYSTEM,
  IDENTIFIER_TYPE_SYSTEM,
  QUALIFICATION_SYSTEM,
  SYNTHETIC_TAG,
  hospitalSystem,
} from './systems.js';
import { makeInstitutionUscc } from './uscc.js';

/** A hospital as the caller describes it. */
export interface HospitalSpec {
  /** Stable short id, e.g. `h1`; it names the hospital's identifier systems. */
  id: string;
  /** English name. */
  name: string;
  /** Chinese name, e.g. 北京协和医院. */
  nameZh: string;
  /** GB/T 2260 code of the district the hospital is in. */
  divisionCode: string;
}

export type StaffRole = 'doctor' | 'nurse';

/** One member of staff, as the manifest lists them for demo users and care relationships. */
export interface StaffMember {
  /** Readable stable key, e.g. `h1-dr-03`. */
  key: string;
  /** Resource id, also the `urn:uuid:` of its fullUrl in every bundle. */
  id: string;
  hospitalId: string;
  role: StaffRole;
  /** 职称, e.g. 主治医师, 主管护师. */
  title: string;
  name: string;
  family: string;
  given: string;
  gender: 'male' | 'female';
  department: DepartmentKey;
  departmentZh: string;
  /** 执业证书编号: the identifier used for conditional create. */
  licenseNumber: string;
  /** 工号 within the hospital. */
  staffNumber: string;
  phone: string;
}

export interface HospitalDirectory {
  spec: HospitalSpec;
  /** 统一社会信用代码 of the hospital. */
  uscc: string;
  organization: FhirResource & { id: string };
  organizationIdentifier: Identifier;
  staff: StaffMember[];
  practitioners: Map<string, FhirResource & { id: string }>;
}

/** Area codes of the cities in the division table, for hospital switchboard numbers. */
const AREA_CODES: Record<string, string> = {
  北京市: '010',
  天津市: '022',
  上海市: '021',
  重庆市: '023',
  广州市: '020',
  深圳市: '0755',
  成都市: '028',
  杭州市: '0571',
  南京市: '025',
  苏州市: '0512',
  武汉市: '027',
  西安市: '029',
  长沙市: '0731',
  济南市: '0531',
  青岛市: '0532',
  郑州市: '0371',
  福州市: '0591',
  厦门市: '0592',
  沈阳市: '024',
  大连市: '0411',
  昆明市: '0871',
  哈尔滨市: '0451',
  合肥市: '0551',
  石家庄市: '0311',
  太原市: '0351',
  呼和浩特市: '0471',
  长春市: '0431',
  南昌市: '0791',
  南宁市: '0771',
  海口市: '0898',
  贵阳市: '0851',
  拉萨市: '0891',
  兰州市: '0931',
  西宁市: '0971',
  银川市: '0951',
  乌鲁木齐市: '0991',
};

const STAFFING: readonly (readonly [DepartmentKey, number, number])[] = [
  // department, doctors, nurses
  ['general', 3, 1],
  ['cardiology', 3, 1],
  ['endocrinology', 2, 1],
  ['respiratory', 2, 1],
  ['gastroenterology', 2, 1],
  ['infectious', 2, 1],
  ['psychiatry', 2, 1],
  ['gynecology', 2, 1],
  ['pediatrics', 2, 1],
  ['emergency', 2, 2],
];

const DOCTOR_TITLES = [
  ['主任医师', 1],
  ['副主任医师', 2],
  ['主治医师', 4],
  ['住院医师', 3],
] as const;
const NURSE_TITLES = [
  ['主管护师', 2],
  ['护师', 4],
  ['护士', 3],
] as const;

export function checkHospitalSpec(spec: HospitalSpec): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(spec.id))
    throw badRequest(`hospital id "${spec.id}" must be 1-64 letters, digits, dots, dashes or underscores`, {
      zh: `医院标识"${spec.id}"只能包含1至64个字母、数字、点、连字符或下划线`,
      path: 'hospitals[].id',
    });
  if (!/^\d{6}$/.test(spec.divisionCode))
    throw badRequest(`hospital ${spec.id}: divisionCode must be a six-digit GB/T 2260 code`, {
      zh: `医院 ${spec.id} 的行政区划代码必须是6位GB/T 2260代码`,
      hint: 'use a code such as 110105 (北京市朝阳区)',
      path: 'hospitals[].divisionCode',
    });
}

/** The hospital's Organization and staff, the same for a given seed however many patients are made. */
export function hospitalDirectory(seed: number | string, spec: HospitalSpec): HospitalDirectory {
  checkHospitalSpec(spec);
  const random = Random.derive(seed, 'hospital', spec.id);
  const div = divisionByCode(spec.divisionCode) ?? divisionsNear(spec.divisionCode)[0]!;
  const uscc = makeInstitutionUscc(random, spec.divisionCode);
  const orgId = random.uuid();
  const areaCode = AREA_CODES[div.city] ?? '010';
  const line = `${random.pick(div.streets)}${random.int(1, 300)}号`;
  const organizationIdentifier: Identifier = {
    use: 'official',
    type: {
      coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'XX', display: 'Organization identifier' }],
      text: '统一社会信用代码',
    },
    system: CN_HEALTHCARE_ORGANIZATION_SYSTEM,
    value: uscc,
  };
  const organization = {
    resourceType: 'Organization',
    id: orgId,
    meta: { tag: [SYNTHETIC_TAG] },
    identifier: [organizationIdentifier],
    active: true,
    type: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/organization-type',
            code: 'prov',
            display: 'Healthcare Provider',
          },
        ],
        text: '医疗机构',
      },
    ],
    name: spec.nameZh,
    alias: [spec.name],
    telecom: [{ system: 'phone', value: `${areaCode}-${random.int(5, 8)}${random.digits(7)}`, use: 'work' }],
    address: [
      {
        use: 'work',
        type: 'physical',
        text: `${divisionPrefix(div)}${line}`,
        line: [line],
        city: div.city,
        district: div.district,
        state: div.province,
        country: 'CN',
      },
    ],
  };

  const staff: StaffMember[] = [];
  const practitioners = new Map<string, FhirResource & { id: string }>();
  let doctors = 0;
  let nurses = 0;
  for (const [department, doctorCount, nurseCount] of STAFFING) {
    for (let i = 0; i < doctorCount + nurseCount; i++) {
      const role: StaffRole = i < doctorCount ? 'doctor' : 'nurse';
      const gender = random.chance(role === 'nurse' ? 0.1 : 0.5) ? 'male' : 'female';
      const name = chineseName(random, gender);
      const n = role === 'doctor' ? ++doctors : ++nurses;
      const member: StaffMember = {
        key: `${spec.id}-${role === 'doctor' ? 'dr' : 'rn'}-${String(n).padStart(2, '0')}`,
        id: random.uuid(),
        hospitalId: spec.id,
        role,
        title: random.weighted<string>(role === 'doctor' ? DOCTOR_TITLES : NURSE_TITLES),
        name: name.text,
        family: name.family,
        given: name.given,
        gender,
        department,
        departmentZh: DEPARTMENTS[department].zh,
        // Doctors' practising certificates have 15 digits, nurses' 12.
        licenseNumber:
          role === 'doctor' ? `1${spec.divisionCode.slice(0, 2)}${random.digits(12)}` : random.digits(12),
        staffNumber: `${role === 'doctor' ? 'D' : 'N'}${random.digits(5)}`,
        phone: `${areaCode}-${random.int(5, 8)}${random.digits(7)}`,
      };
      staff.push(member);
      practitioners.set(member.id, practitionerResource(member));
    }
  }
  return { spec, uscc, organization, organizationIdentifier, staff, practitioners };
}

function practitionerResource(m: StaffMember): FhirResource & { id: string } {
  return {
    resourceType: 'Practitioner',
    id: m.id,
    meta: { tag: [SYNTHETIC_TAG] },
    identifier: [
      {
        use: 'official',
        type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'LN', display: 'License number' }] },
        system: CN_PRACTITIONER_LICENSE_SYSTEM,
        value: m.licenseNumber,
      },
      {
        use: 'usual',
        type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: 'EI', display: 'Employee number' }] },
        system: hospitalSystem(m.hospitalId, 'staff'),
        value: m.staffNumber,
      },
    ],
    active: true,
    name: [{ use: 'official', text: m.name, family: m.family, given: [m.given] }],
    telecom: [{ system: 'phone', value: m.phone, use: 'work' }],
    gender: m.gender,
    qualification: [
      {
        identifier: [{ system: CN_PRACTITIONER_LICENSE_SYSTEM, value: m.licenseNumber }],
        code: {
          coding: [
            m.role === 'doctor'
              ? { system: QUALIFICATION_SYSTEM, code: 'MD', display: 'Doctor of Medicine' }
              : { system: QUALIFICATION_SYSTEM, code: 'RN', display: 'Registered Nurse' },
          ],
          text: `${m.role === 'doctor' ? '医师执业证书' : '护士执业证书'}（${m.title}，${m.departmentZh}）`,
        },
      },
    ],
  };
}
