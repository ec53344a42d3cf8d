import { isValidResidentId } from '../../core/index.js';
import { surnameAt } from '../lexicon.js';

/** What a column may hold. `diagnosis-code` is health content, not an identifier, but grades the column. */
export const IDENTIFIER_TYPES = [
  'resident-id',
  'mobile',
  'landline',
  'name',
  'address',
  'division-code',
  'date-of-birth',
  'date',
  'mrn',
  'insurance-number',
  'email',
  'ip',
  'passport',
  'ssn',
  'zip',
  'diagnosis-code',
] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

export interface IdentifierTypeInfo {
  kind: 'direct' | 'quasi' | 'none';
  /** The HIPAA Safe Harbor identifier number (45 CFR 164.514(b)(2)(i)), when it is one. */
  safeHarbor?: number;
  name: { zh: string; en: string };
}

export const IDENTIFIER_INFO: Readonly<Record<IdentifierType, IdentifierTypeInfo>> = {
  'resident-id': { kind: 'direct', safeHarbor: 18, name: { zh: '居民身份证号', en: 'resident ID number' } },
  mobile: { kind: 'direct', safeHarbor: 4, name: { zh: '手机号', en: 'mobile number' } },
  landline: { kind: 'direct', safeHarbor: 4, name: { zh: '固定电话', en: 'landline number' } },
  name: { kind: 'direct', safeHarbor: 1, name: { zh: '姓名', en: 'name' } },
  address: { kind: 'direct', safeHarbor: 2, name: { zh: '地址', en: 'address' } },
  'division-code': {
    kind: 'quasi',
    safeHarbor: 2,
    name: { zh: '行政区划代码', en: 'administrative division code' },
  },
  'date-of-birth': { kind: 'quasi', safeHarbor: 3, name: { zh: '出生日期', en: 'date of birth' } },
  date: { kind: 'quasi', safeHarbor: 3, name: { zh: '日期', en: 'date' } },
  mrn: { kind: 'direct', safeHarbor: 8, name: { zh: '病案号', en: 'medical record number' } },
  'insurance-number': {
    kind: 'direct',
    safeHarbor: 9,
    name: { zh: '医保卡号', en: 'health insurance number' },
  },
  email: { kind: 'direct', safeHarbor: 6, name: { zh: '电子邮箱', en: 'email address' } },
  ip: { kind: 'direct', safeHarbor: 15, name: { zh: 'IP 地址', en: 'IP address' } },
  passport: { kind: 'direct', safeHarbor: 11, name: { zh: '护照号', en: 'passport number' } },
  ssn: { kind: 'direct', safeHarbor: 7, name: { zh: '美国社会安全号', en: 'US Social Security number' } },
  zip: { kind: 'quasi', safeHarbor: 2, name: { zh: '邮政编码', en: 'ZIP / postal code' } },
  'diagnosis-code': { kind: 'none', name: { zh: '诊断编码', en: 'diagnosis code' } },
};

/**
 * Column headers in Chinese and English, compared after lower-casing and removing spaces,
 * underscores, hyphens and brackets. An exact match is strong evidence; containing one is weaker.
 */
export const HEADER_WORDS: Readonly<Record<IdentifierType, readonly string[]>> = {
  'resident-id': [
    '身份证号',
    '身份证号码',
    '身份证',
    '公民身份号码',
    '证件号码',
    '证件号',
    'idcard',
    'idcardno',
    'idno',
    'residentid',
    'nationalid',
    'sfzh',
  ],
  mobile: [
    '手机号',
    '手机',
    '手机号码',
    '移动电话',
    '联系电话',
    'mobile',
    'mobilephone',
    'cell',
    'cellphone',
  ],
  landline: [
    '固定电话',
    '座机',
    '电话',
    '电话号码',
    '联系电话',
    '办公电话',
    '传真',
    'phone',
    'telephone',
    'tel',
    'fax',
    'homephone',
  ],
  name: [
    '姓名',
    '患者姓名',
    '病人姓名',
    '名字',
    '联系人',
    '家属姓名',
    'name',
    'patientname',
    'fullname',
    'firstname',
    'lastname',
    'givenname',
    'familyname',
    'surname',
  ],
  address: [
    '住址',
    '地址',
    '家庭住址',
    '现住址',
    '户籍地址',
    '联系地址',
    '居住地址',
    'address',
    'street',
    'addr',
    'homeaddress',
    'streetaddress',
  ],
  'division-code': [
    '行政区划代码',
    '区划代码',
    '行政区划',
    '地区代码',
    '区县代码',
    'divisioncode',
    'regioncode',
    'adcode',
  ],
  'date-of-birth': [
    '出生日期',
    '出生年月',
    '出生年月日',
    '生日',
    'dob',
    'birthdate',
    'dateofbirth',
    'birthday',
  ],
  date: [
    '日期',
    '就诊日期',
    '入院日期',
    '出院日期',
    '检查日期',
    'date',
    'admissiondate',
    'dischargedate',
    'visitdate',
    'servicedate',
  ],
  mrn: [
    '病案号',
    '病历号',
    '住院号',
    '门诊号',
    '就诊卡号',
    '患者编号',
    '患者id',
    'mrn',
    'medicalrecordnumber',
    'patientid',
    'chartnumber',
  ],
  'insurance-number': [
    '医保卡号',
    '医保号',
    '社保卡号',
    '医保编号',
    '参保号',
    '医保个人编号',
    'insuranceid',
    'insuranceno',
    'memberid',
    'policynumber',
    'healthplanid',
  ],
  email: ['邮箱', '电子邮箱', '电子邮件', 'email', 'mail', 'emailaddress'],
  ip: ['ip', 'ip地址', 'ipaddress', 'clientip'],
  passport: ['护照号', '护照', '护照号码', 'passport', 'passportno', 'passportnumber'],
  ssn: ['ssn', 'socialsecuritynumber', 'socialsecurity', '社会安全号'],
  zip: ['邮编', '邮政编码', 'zip', 'zipcode', 'postalcode', 'postcode'],
  'diagnosis-code': [
    '诊断编码',
    '诊断代码',
    '疾病编码',
    '主要诊断编码',
    'icd',
    'icd10',
    'icd10code',
    'diagnosiscode',
    'dxcode',
  ],
};

export const normalizeHeader = (header: string): string =>
  header.toLowerCase().replace(/[\s_\-()（）[\]【】.:：]/g, '');

/** How strongly a header names each type: 0.9 for an exact word, 0.6 for a header containing one. */
export function headerEvidence(header: string): Map<IdentifierType, number> {
  const h = normalizeHeader(header);
  const out = new Map<IdentifierType, number>();
  if (h === '') return out;
  for (const type of IDENTIFIER_TYPES) {
    for (const word of HEADER_WORDS[type]) {
      const strength =
        h === word
          ? 0.9
          : word.length >= 2 && h.includes(word) && !(word.length <= 3 && /^[a-z]+$/.test(word))
            ? 0.6
            : 0;
      if (strength > (out.get(type) ?? 0)) out.set(type, strength);
    }
  }
  // A header that names one type exactly is not also weak evidence for another (出生日期 is not 日期).
  if ([...out.values()].includes(0.9)) for (const [t, v] of out) if (v < 0.9) out.set(t, v / 2);
  return out;
}

// Value shapes. Each is tried only on values whose first character could start it.
const PROVINCE_CODES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

function plausibleDate(y: number, m: number, d: number): boolean {
  if (y < 1880 || y > 2100 || m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const ISO_DATE = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

export function looksLikeDate(v: string): boolean {
  let m = ISO_DATE.exec(v);
  if (m) return plausibleDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = US_DATE.exec(v);
  if (m) return plausibleDate(Number(m[3]), Number(m[1]), Number(m[2]));
  m = COMPACT_DATE.exec(v);
  return m !== null && plausibleDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** A value detector: which types a value is evidence for, and how much that evidence weighs. */
export interface ValueShape {
  id: string;
  /** First-character classes it can start with: d digit, l Latin letter, h Han, p + or (. */
  starts: string;
  test: (v: string) => boolean;
  /** Evidence it gives, per type: a valid resident ID is certain, a 6-digit number is not. */
  weights: Partial<Record<IdentifierType, number>>;
}

const MOBILE = /^(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}$/;
const CN_LANDLINE = /^(?:\(0\d{2,3}\)|0\d{2,3}-?)\d{7,8}(?:-\d{1,5})?$/;
const US_PHONE = /^(?:\+1[ -]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}$/;
const EMAIL = /^[^\s@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}$/;
const SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;
const US_ZIP = /^\d{5}(?:-\d{4})?$/;
const ZH_NAME = /^[\u4e00-\u9fff]{2,4}$/;
const LATIN_NAME = /^[A-Z][a-z]+(?:[ -][A-Z][a-z'-]+){1,2}$/;
const ZH_ADDRESS_A = /[省市]/;
const ZH_ADDRESS_B = /[区县路街号村镇乡巷弄室]/;
const EN_ADDRESS =
  /^\d{1,6}[A-Z]?\s+[A-Za-z0-9 .'-]+\b(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace)\b/;
const PASSPORT = /^(?:[EGDPSKH]\d{8}|E[A-Z]\d{7}|[A-Z]\d{7,8})$/;
const CODED_NUMBER = /^[A-Z]{0,4}-?\d{6,16}$/;
const ICD10 = /^[A-Z]\d{2}(?:\.[0-9A-Za-z]{1,4})?$/;

export const VALUE_SHAPES: readonly ValueShape[] = [
  {
    id: 'resident-id',
    starts: 'd',
    test: (v) => v.length === 18 && isValidResidentId(v),
    weights: { 'resident-id': 1 },
  },
  { id: 'mobile', starts: 'dp', test: (v) => MOBILE.test(v), weights: { mobile: 0.97 } },
  {
    id: 'landline',
    starts: 'dp',
    test: (v) => CN_LANDLINE.test(v) || US_PHONE.test(v),
    weights: { landline: 0.95 },
  },
  { id: 'email', starts: 'dl', test: (v) => v.includes('@') && EMAIL.test(v), weights: { email: 0.99 } },
  {
    id: 'ip',
    starts: 'dl',
    test: (v) => IPV4.test(v) || (v.includes(':') && IPV6.test(v)),
    weights: { ip: 0.97 },
  },
  { id: 'ssn', starts: 'd', test: (v) => SSN.test(v), weights: { ssn: 0.95 } },
  { id: 'date', starts: 'd', test: looksLikeDate, weights: { date: 0.9, 'date-of-birth': 0.55 } },
  {
    id: 'division-code',
    starts: 'd',
    test: (v) =>
      v.length === 6 && /^\d{6}$/.test(v) && PROVINCE_CODES.has(v.slice(0, 2)) && v.slice(2) !== '0000',
    weights: { 'division-code': 0.7, zip: 0.3 },
  },
  { id: 'us-zip', starts: 'd', test: (v) => US_ZIP.test(v), weights: { zip: 0.75 } },
  {
    id: 'zh-name',
    starts: 'h',
    test: (v) => ZH_NAME.test(v) && surnameAt(v, 0) > 0 && v.length - surnameAt(v, 0) <= 2,
    weights: { name: 0.75 },
  },
  { id: 'latin-name', starts: 'l', test: (v) => LATIN_NAME.test(v), weights: { name: 0.6 } },
  {
    id: 'address',
    starts: 'hd',
    test: (v) => (v.length >= 6 && ZH_ADDRESS_A.test(v) && ZH_ADDRESS_B.test(v)) || EN_ADDRESS.test(v),
    weights: { address: 0.9 },
  },
  { id: 'passport', starts: 'l', test: (v) => PASSPORT.test(v), weights: { passport: 0.5 } },
  {
    id: 'coded-number',
    starts: 'dl',
    test: (v) => CODED_NUMBER.test(v),
    weights: { mrn: 0.3, 'insurance-number': 0.3 },
  },
  { id: 'icd10', starts: 'l', test: (v) => ICD10.test(v), weights: { 'diagnosis-code': 0.8 } },
];

/** The class of a value's first character, to pick the shapes worth trying. */
export function startClass(v: string): string {
  const c = v.charCodeAt(0);
  if (c >= 48 && c <= 57) return 'd';
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return 'l';
  if (c >= 0x4e00 && c <= 0x9fff) return 'h';
  if (c === 43 || c === 40) return 'p';
  return 'o';
}
