import { deidError } from './errors.js';
import type { OperatorSpec } from './operators/spec.js';

/**
 * The 18 HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)(i)) and the operator each gets.
 * Safe Harbor forbids pseudonyms derived from the identifiers themselves, so codes are removed,
 * not hashed; dates keep the year, ages over 89 and birth dates revealing them collapse into one
 * category, and ZIP codes keep 3 digits unless the area holds 20,000 people or fewer.
 */
export const SAFE_HARBOR: Readonly<
  Record<string, { n: number; en: string; zh: string; operator: OperatorSpec }>
> = {
  names: { n: 1, en: 'Names', zh: '姓名', operator: { op: 'redact' } },
  address: {
    n: 2,
    en: 'Geographic subdivisions smaller than a state (street, city, county, precinct)',
    zh: '小于州（省）级的地理区划（街道、城市、县、选区）',
    operator: { op: 'redact' },
  },
  zip: {
    n: 2,
    en: 'ZIP code (first 3 digits kept unless ≤ 20,000 people)',
    zh: '邮政编码（保留前三位，人口≤2万地区置000）',
    operator: { op: 'zip3' },
  },
  'birth-date': {
    n: 3,
    en: 'Birth date (year kept; ages over 89 collapsed)',
    zh: '出生日期（保留年份；89岁以上合并）',
    operator: { op: 'date', grain: 'year', collapseAgeOver: 89 },
  },
  date: {
    n: 3,
    en: 'Dates related to the individual (year kept)',
    zh: '与个人相关的日期（保留年份）',
    operator: { op: 'date', grain: 'year' },
  },
  age: {
    n: 3,
    en: 'Ages over 89 (aggregated as 90+)',
    zh: '89岁以上年龄（合并为90+）',
    operator: { op: 'top-code', max: 89 },
  },
  phone: { n: 4, en: 'Telephone numbers', zh: '电话号码', operator: { op: 'redact' } },
  fax: { n: 5, en: 'Fax numbers', zh: '传真号码', operator: { op: 'redact' } },
  email: { n: 6, en: 'Email addresses', zh: '电子邮件地址', operator: { op: 'redact' } },
  ssn: {
    n: 7,
    en: 'Social security / resident ID numbers',
    zh: '社会保障号 / 居民身份证号',
    operator: { op: 'redact' },
  },
  mrn: { n: 8, en: 'Medical record numbers', zh: '病历号', operator: { op: 'redact' } },
  'health-plan': {
    n: 9,
    en: 'Health plan beneficiary numbers',
    zh: '医保受益人编号',
    operator: { op: 'redact' },
  },
  account: { n: 10, en: 'Account numbers', zh: '账户号码', operator: { op: 'redact' } },
  license: { n: 11, en: 'Certificate / license numbers', zh: '证书 / 执照号码', operator: { op: 'redact' } },
  vehicle: {
    n: 12,
    en: 'Vehicle identifiers and serial numbers, incl. plates',
    zh: '车辆标识及序列号（含车牌）',
    operator: { op: 'redact' },
  },
  device: {
    n: 13,
    en: 'Device identifiers and serial numbers',
    zh: '设备标识及序列号',
    operator: { op: 'redact' },
  },
  url: { n: 14, en: 'Web URLs', zh: '网址', operator: { op: 'redact' } },
  ip: { n: 15, en: 'IP addresses', zh: 'IP 地址', operator: { op: 'redact' } },
  biometric: {
    n: 16,
    en: 'Biometric identifiers (finger and voice prints)',
    zh: '生物识别信息（指纹、声纹）',
    operator: { op: 'redact' },
  },
  photo: {
    n: 17,
    en: 'Full-face photographs and comparable images',
    zh: '全脸照片及类似图像',
    operator: { op: 'redact' },
  },
  'other-id': {
    n: 18,
    en: 'Any other unique identifying number, characteristic or code',
    zh: '其他任何唯一识别号码、特征或代码',
    operator: { op: 'redact' },
  },
  'free-text': {
    n: 18,
    en: 'Free text that may contain any of the above',
    zh: '可能包含上述信息的自由文本',
    operator: { op: 'free-text' },
  },
};

export type SafeHarborIdentifier = keyof typeof SAFE_HARBOR;

export function safeHarborOperator(identifier: string, path: string): OperatorSpec {
  const entry = SAFE_HARBOR[identifier];
  if (entry === undefined) {
    throw deidError(
      `${path}: unknown Safe Harbor identifier "${identifier}" (known: ${Object.keys(SAFE_HARBOR).join(', ')})`,
      `${path}：未知的安全港标识符类别“${identifier}”`,
      { path },
    );
  }
  return entry.operator;
}

/**
 * GB/T 37964-2019 roles (识别标识): direct identifiers (直接标识符) are suppressed, masked or
 * pseudonymized; quasi-identifiers (准标识符) are generalized under a formal privacy model;
 * sensitive attributes (敏感属性) stay but are protected by l-diversity / t-closeness; other
 * attributes stay.
 */
export type Gbt37964Role = 'direct' | 'quasi' | 'sensitive' | 'other';

export function gbtDirectOperator(format: string | undefined, technique: string | undefined): OperatorSpec {
  if (technique === 'suppress') return { op: 'redact' };
  if (technique === 'pseudonymize' || format === undefined) return { op: 'pseudonymize' };
  if (technique === 'tokenize') return { op: 'tokenize' };
  return { op: 'mask', format: format as 'name' };
}

/** The GB/T 37964 process steps, reported in order (确定目标 → 识别标识 → 处理标识 → 验证审批). */
export const GBT_37964_STEPS = [
  { key: 'goals', zh: '确定目标', en: 'Set goals' },
  { key: 'identify', zh: '识别标识', en: 'Identify identifiers' },
  { key: 'process', zh: '处理标识', en: 'Process identifiers' },
  { key: 'verify', zh: '验证审批', en: 'Verify and approve' },
] as const;

/**
 * Profiles from a grading scheme: each grade maps to a handling, each field has a grade. The
 * classification module supplies real grades; any `{ grade -> operator }` table works here.
 */
export function gradingFieldSpecs(
  handling: Readonly<Record<string, OperatorSpec>>,
  grades: Readonly<Record<string, string>>,
): Map<string, OperatorSpec> {
  const out = new Map<string, OperatorSpec>();
  for (const [field, grade] of Object.entries(grades)) {
    const spec = handling[grade];
    if (spec === undefined) {
      throw deidError(
        `field "${field}" has grade "${grade}", which the grading profile has no handling for (grades: ${Object.keys(handling).join(', ')})`,
        `字段“${field}”的级别“${grade}”在分级配置中没有对应的处理方式`,
        { path: `grading.grades.${field}` },
      );
    }
    out.set(field, spec);
  }
  return out;
}

/** The FHIR rules of the Safe Harbor profile, used when a profile names none of its own. */
export const SAFE_HARBOR_FHIR_RULES: readonly { path: string; operator: OperatorSpec }[] = [
  { path: 'Patient.name', operator: { op: 'redact' } },
  { path: 'Patient.identifier', operator: { op: 'redact' } },
  { path: 'Patient.telecom', operator: { op: 'redact' } },
  { path: 'Patient.address', operator: { op: 'zip3' } },
  { path: 'Patient.birthDate', operator: { op: 'date', grain: 'year', collapseAgeOver: 89 } },
  { path: 'Patient.deceasedDateTime', operator: { op: 'date', grain: 'year' } },
  { path: 'Patient.photo', operator: { op: 'redact' } },
  { path: 'Patient.contact', operator: { op: 'redact' } },
  { path: 'Patient.text', operator: { op: 'redact' } },
  { path: '*.effectiveDateTime', operator: { op: 'date', grain: 'year' } },
  { path: '*.issued', operator: { op: 'date', grain: 'year' } },
  { path: '*.recordedDate', operator: { op: 'date', grain: 'year' } },
  { path: '*.onsetDateTime', operator: { op: 'date', grain: 'year' } },
  { path: '*.abatementDateTime', operator: { op: 'date', grain: 'year' } },
  { path: '*.performedDateTime', operator: { op: 'date', grain: 'year' } },
  { path: '*.authoredOn', operator: { op: 'date', grain: 'year' } },
  { path: '*.occurrenceDateTime', operator: { op: 'date', grain: 'year' } },
  { path: 'Encounter.period.start', operator: { op: 'date', grain: 'year' } },
  { path: 'Encounter.period.end', operator: { op: 'date', grain: 'year' } },
  { path: 'Encounter.identifier', operator: { op: 'redact' } },
];
