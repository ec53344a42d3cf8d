import { isValidResidentId } from '../core/index.js';
import { isHan, surnameAt } from './lexicon.js';

export type PhiType = 'name' | 'id' | 'phone' | 'address' | 'date' | 'institution' | 'email';

/** A stretch of PHI in a text. Offsets are UTF-16 code units, as JavaScript strings count them. */
export interface PhiSpan {
  start: number;
  end: number;
  type: PhiType;
  text: string;
}

interface Candidate {
  start: number;
  end: number;
  type: PhiType;
}

/**
 * Detects PHI in clinical free text, Chinese and English: names, identifiers, phone numbers,
 * addresses, dates, institutions and e-mail addresses. Rules, not a model: each finding can be
 * explained, and it runs at megabytes per second. Where two findings overlap, the longer wins,
 * then the more specific type.
 */
export function detectPhi(text: string): PhiSpan[] {
  const found: Candidate[] = [];
  for (const detector of DETECTORS) detector(text, found);
  return resolve(found).map((c) => ({ ...c, text: text.slice(c.start, c.end) }));
}

/** The shape the de-identification module consumes. */
export const phiDetector = (text: string): { start: number; end: number; type: string }[] =>
  detectPhi(text).map(({ start, end, type }) => ({ start, end, type }));

type Detector = (text: string, out: Candidate[]) => void;

const PRIORITY: Record<PhiType, number> = {
  email: 7,
  id: 6,
  phone: 5,
  date: 4,
  institution: 3,
  address: 2,
  name: 1,
};

function resolve(found: Candidate[]): Candidate[] {
  const ranked = [...found].sort(
    (a, b) => b.end - b.start - (a.end - a.start) || PRIORITY[b.type] - PRIORITY[a.type] || a.start - b.start,
  );
  const kept: Candidate[] = [];
  for (const c of ranked) if (!kept.some((k) => c.start < k.end && k.start < c.end)) kept.push(c);
  return kept.sort((a, b) => a.start - b.start);
}

function addAll(
  re: RegExp,
  type: PhiType,
  text: string,
  out: Candidate[],
  group = 0,
  accept?: (m: RegExpExecArray) => boolean,
) {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (accept && !accept(m)) continue;
    const value = m[group];
    if (value === undefined || value === '') continue;
    const start = m.index + (group === 0 ? 0 : m[0].indexOf(value));
    out.push({ start, end: start + value.length, type });
  }
}

// ---- identifiers -------------------------------------------------------------------------------

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const RESIDENT_ID = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;
const SSN = /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])/g;
/** Letters then digits, the usual shape of record, visit, lab, insurance and passport numbers. */
const CODED_ID = /(?<![A-Za-z0-9-])[A-Z]{1,4}(?:-?\d){5,}(?:-\d+)*(?![A-Za-z0-9])/g;
/** A number right after a label that says it is an identifier. */
const LABELLED_ID =
  /(?:病案号|住院号|门诊号|就诊卡号|就诊号|医保卡号|医保编号|医保号|社保卡号|社保号|检验单号|标本号|护照号码?|身份证号码?|身份证|证件号码?|登记号|\bMRN\b|[Mm]edical record (?:number|no\.?)|[Mm]ember ID|[Hh]ealth plan ID|[Pp]assport (?:number|no\.?)|[Aa]ccession(?: number)?|[Aa]ccount (?:number|no\.?)|[Ss]ocial security number|\bSSN\b)(?:\s*(?:on file)?\s*[:：#]?\s*(?:为|是|is)?\s*)([A-Za-z0-9](?:[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*))/g;

const detectIds: Detector = (text, out) => {
  addAll(EMAIL, 'email', text, out);
  addAll(RESIDENT_ID, 'id', text, out, 0, (m) => isValidResidentId(m[0]));
  addAll(SSN, 'id', text, out);
  addAll(IPV4, 'id', text, out);
  addAll(CODED_ID, 'id', text, out);
  addAll(LABELLED_ID, 'id', text, out, 1, (m) => (m[1]?.length ?? 0) >= 4);
};

// ---- phones ------------------------------------------------------------------------------------

const CN_MOBILE = /(?<![\d-])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![\d-])/g;
const CN_LANDLINE = /(?<![\d-])(?:\(0\d{2,3}\)|0\d{2,3}-)\d{7,8}(?:-\d{1,5})?(?![\d-])/g;
const US_PHONE = /(?<![\d-])(?:\+1[ -]?)?(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d-])/g;

const detectPhones: Detector = (text, out) => {
  addAll(CN_MOBILE, 'phone', text, out);
  addAll(CN_LANDLINE, 'phone', text, out);
  addAll(US_PHONE, 'phone', text, out);
};

// ---- dates -------------------------------------------------------------------------------------

const MONTHS =
  'January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec';
const WEEKDAYS = 'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday';
const DATE_PATTERNS = [
  /(?<!\d)(?:19|20)\d{2}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?)?/g,
  /(?<![\d年])\d{1,2}月\d{1,2}[日号]/g,
  /(?<![\d.\-/])(?:19|20)\d{2}([-/.])\d{1,2}\1\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?(?![\d\-/]|\.\d)/g,
  /(?<![\d/])\d{1,2}\/\d{1,2}\/(?:19|20)\d{2}(?![\d/])/g,
  new RegExp(
    `(?:(?:${WEEKDAYS}),?\\s+)?\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+(?:19|20)\\d{2})?\\b`,
    'g',
  ),
  new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:${MONTHS})\\.?,?\\s+(?:19|20)\\d{2}\\b`, 'g'),
  new RegExp(`\\b(?:${MONTHS})\\.?\\s+(?:19|20)\\d{2}\\b`, 'g'),
];
/** A bare year counts only after a word that makes it a date of an event. */
const BARE_YEAR = /\b(?:in|since|during|from|until|of)\s+((?:19|20)\d{2})\b(?![-/.]\d)/g;

const detectDates: Detector = (text, out) => {
  for (const re of DATE_PATTERNS) addAll(re, 'date', text, out);
  addAll(BARE_YEAR, 'date', text, out, 1);
};

// ---- addresses ---------------------------------------------------------------------------------

const HAN = '\\u4e00-\\u9fff';
const CN_ADDRESS = new RegExp(
  `(?:[${HAN}]{2,7}?(?:省|自治区))?[${HAN}]{2,7}?(?:市|自治州|州|盟)` +
    `(?:[${HAN}]{1,7}?(?:区|县|旗))?` +
    `(?:[${HAN}A-Za-z0-9]{1,12}?(?:大道|大街|路|街|巷|弄|胡同|里|村|镇|乡|街道|组|号院|号楼|号|栋|幢|单元|室|层|座|广场|大厦|小区|公寓|花园|苑|区))*` +
    `(?:\\d+(?:室|号)?)?`,
  'g',
);
const STREET_TYPES =
  'Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Terrace|Lane|Ln|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Parkway|Pkwy|Highway|Hwy|Circle|Square|Sq';
const EN_ADDRESS = new RegExp(
  `\\b\\d{1,6}[A-Z]?\\s+(?:[A-Z][A-Za-z'.-]*\\s+){0,3}(?:${STREET_TYPES})\\b\\.?(?:\\s+(?:NW|NE|SW|SE|N|S|E|W)\\b)?` +
    `(?:,?\\s+(?:Apt|Apartment|Suite|Ste|Unit|Room|#)\\.?\\s*#?[A-Za-z0-9-]+)?` +
    `(?:,\\s*[A-Z][a-z]+(?:\\s+[A-Z][a-z]+){0,2})?` +
    `(?:,?\\s+[A-Z]{2}\\b)?(?:\\s+\\d{5}(?:-\\d{4})?)?(?:\\s+[A-Z]{1,2}\\d[A-Z\\d]?\\s\\d[A-Z]{2})?`,
  'g',
);
/** `Denver, CO 80202`: a town, a state and a ZIP without a street. */
const EN_CITY_STATE_ZIP = /\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2},\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/g;

const detectAddresses: Detector = (text, out) => {
  // A city alone (北京市) is too coarse to identify anyone: require a district or more.
  addAll(CN_ADDRESS, 'address', text, out, 0, (m) =>
    /(?:区|县|旗|路|街|道|号|村|镇|乡|巷|弄|室|单元|楼|栋|幢|层|座|组)\d*$/.test(m[0]),
  );
  addAll(EN_ADDRESS, 'address', text, out);
  addAll(EN_CITY_STATE_ZIP, 'address', text, out);
  addAll(LABELLED_ADDRESS, 'address', text, out, 1);
};

/**
 * What follows an English address label, to the end of its line, whatever its street type
 * (Chinese addresses are found by their own structure).
 */
const LABELLED_ADDRESS = /\b(?:[Hh]ome |[Mm]ailing )?[Aa]ddress:[ \t]*([^\n]*[^\s.])/g;

// ---- institutions ------------------------------------------------------------------------------

const CN_INSTITUTION_SUFFIX =
  /(?:医院|卫生院|社区卫生服务中心|卫生服务中心|卫生服务站|卫生室|诊所|门诊部|疾病预防控制中心|疾控中心|保健院|医学中心|体检中心|急救中心|血站)/g;
/** Characters that end a name when walking left from the suffix: verbs and particles before it. */
const CN_INSTITUTION_STOP = new Set([...'在至到于由从经赴往入回及与的是为去来我本该此其即向诊住就查']);
const EN_INSTITUTION = new RegExp(
  `(?:(?:St\\.|Saint|[A-Z][A-Za-z'&.-]*)\\s+){1,5}(?:Hospital|Clinic|Medical Center|Medical Centre|Health Care|Healthcare|Health System|Health Center|Diagnostics|Urgent Care|Infirmary|Laboratories|Laboratory|Hospice)\\b`,
  'g',
);
const EN_NOT_INSTITUTION_START =
  /^(?:The|A|An|At|In|To|From|By|Seen|Admitted|Transferred|Referred|He|She|Patient|Pt)\s+/;

const detectInstitutions: Detector = (text, out) => {
  CN_INSTITUTION_SUFFIX.lastIndex = 0;
  for (let m = CN_INSTITUTION_SUFFIX.exec(text); m !== null; m = CN_INSTITUTION_SUFFIX.exec(text)) {
    let start = m.index;
    while (start > 0 && m.index - start < 20) {
      const ch = text[start - 1]!;
      if (!(isHan(ch) || /[A-Za-z0-9]/.test(ch)) || CN_INSTITUTION_STOP.has(ch)) break;
      start--;
    }
    if (m.index - start >= 2) out.push({ start, end: m.index + m[0].length, type: 'institution' });
  }
  EN_INSTITUTION.lastIndex = 0;
  for (let m = EN_INSTITUTION.exec(text); m !== null; m = EN_INSTITUTION.exec(text)) {
    let value = m[0];
    let start = m.index;
    for (let lead = EN_NOT_INSTITUTION_START.exec(value); lead; lead = EN_NOT_INSTITUTION_START.exec(value)) {
      value = value.slice(lead[0].length);
      start += lead[0].length;
    }
    if (/\s/.test(value)) out.push({ start, end: start + value.length, type: 'institution' });
  }
};

// ---- names -------------------------------------------------------------------------------------

/** Words before a Chinese name: the person's role in the note. */
const ZH_LEFT_CUES =
  /(?:患者|患儿|病人|姓名|家属|联系人|监护人|陪同人|签名|记录者|记录人|责任护士|主治医生|主治医师|值班医生|值班医师|经治医生|主管医生|医生|医师|护士|村医|其父|其母|父亲|母亲|丈夫|妻子|配偶|其子|其女|儿子|女儿|本人|由|同事|朋友|Dr\.?|Doctor)[：:\s]?$/;
/** Words after a Chinese name that make it one even without a cue before it. */
const ZH_STRONG_RIGHT =
  /^(?:先生|女士|小姐|医生|医师|副主任医师|主任医师|主治医师|住院医师|主任|副主任|护士长|护士|教授|副教授|院士|同学|老师|家属|，男|，女|,男|,女|（男|（女)/;
/** Single characters that may follow a name directly: particles and the verbs notes use. */
const ZH_AFTER_NAME = new Set([
  ...'诉因于在自的今来出陪签同要电身现曾已和与及等为是入住就到从对称述经行被也女男先医护教主家，。、；：,.;:（(）) ',
]);
/** Characters that are almost never part of a given name in notes. */
const ZH_NOT_GIVEN = new Set([
  ...'在于是的了诉因自为和与及到从被将已曾未无不有今日月年前后时次再又也都还就才均仍现近每各该此其我你他她本个行入出住院科诊治疗查病症药术检验痛热咳血压肺肝肾',
]);

/** A given name that ends a labelled field: one or two Han characters, then a separator or the end. */
const FIELD_GIVEN = /^[\u4e00-\u9fff]{1,2}(?=[（(，,、。；;\s]|$)/;

function givenOk(text: string, from: number, len: number): boolean {
  for (let i = from; i < from + len; i++) {
    const ch = text[i];
    if (!isHan(ch) || ZH_NOT_GIVEN.has(ch!)) return false;
  }
  return true;
}

const detectChineseNames: Detector = (text, out) => {
  for (let i = 0; i < text.length; i++) {
    const sl = surnameAt(text, i);
    if (sl === 0) continue;
    const before = text.slice(Math.max(0, i - 6), i);
    const leftCue = ZH_LEFT_CUES.test(before);
    if (leftCue) {
      // A labelled field (联系人：王佳月（父母）): the name runs to the field's end, whatever its
      // characters (月 is rarely part of a name in running text, often in a field).
      const field = /[：:]$/.test(before) ? FIELD_GIVEN.exec(text.slice(i + sl, i + sl + 3)) : null;
      if (field) {
        out.push({ start: i, end: i + sl + field[0].length, type: 'name' });
        continue;
      }
      // After a cue the name is usually three characters; two when what follows is a particle.
      const afterOne = text[i + sl + 1];
      if (
        givenOk(text, i + sl, 1) &&
        (afterOne === undefined ||
          ZH_AFTER_NAME.has(afterOne) ||
          ZH_STRONG_RIGHT.test(text.slice(i + sl + 1)))
      ) {
        out.push({ start: i, end: i + sl + 1, type: 'name' });
        continue;
      }
      if (givenOk(text, i + sl, 2)) out.push({ start: i, end: i + sl + 2, type: 'name' });
      continue;
    }
    for (const len of [2, 1]) {
      const end = i + sl + len;
      if (givenOk(text, i + sl, len) && ZH_STRONG_RIGHT.test(text.slice(end, end + 6))) {
        out.push({ start: i, end, type: 'name' });
        break;
      }
    }
  }
};

const EN_TOKEN = `[A-Z](?:'[A-Z])?[a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?`;
const EN_NOT_NAME = new Set([
  'The',
  'Dr',
  'He',
  'She',
  'His',
  'Her',
  'They',
  'Health',
  'Portal',
  'Care',
  'Patient',
  'Hospital',
  'Clinic',
  'Medical',
  'Center',
  'Emergency',
  'Department',
  'Street',
  'Road',
  'Avenue',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
  'No',
  'Yes',
  'None',
  'Unknown',
]);
const EN_TITLE = new RegExp(
  `\\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\\.?\\s+((?:${EN_TOKEN})(?:\\s+${EN_TOKEN}){0,2})`,
  'g',
);
const EN_ROLE = new RegExp(
  `\\b(?:[Pp]atient|[Pp]t|[Nn]urse|[Tt]herapist|[Mm]other|[Ff]ather|[Ss]on|[Dd]aughter|[Ww]ife|[Hh]usband|[Pp]artner|[Gg]uardian|[Bb]rother|[Ss]ister|[Mm]anager|[Cc]aregiver|[Ss]pouse|[Pp]hysician|[Cc]linician|[Ss]urgeon|[Nn]ext of kin|[Nn]amed|signed by|seen by|written by)` +
    `[,:]?\\s+((?:${EN_TOKEN})(?:\\s+${EN_TOKEN}){0,2})`,
  'g',
);

function addEnglishNames(re: RegExp, text: string, out: Candidate[]) {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const tokens = m[1]!.split(/\s+/);
    let keep = 0;
    while (keep < tokens.length && !EN_NOT_NAME.has(tokens[keep]!)) keep++;
    if (keep === 0) continue;
    const value = tokens.slice(0, keep).join(' ');
    const start = m.index + m[0].lastIndexOf(m[1]!);
    out.push({ start, end: start + value.length, type: 'name' });
  }
}

const detectEnglishNames: Detector = (text, out) => {
  addEnglishNames(EN_TITLE, text, out);
  addEnglishNames(EN_ROLE, text, out);
};

const DETECTORS: readonly Detector[] = [
  detectIds,
  detectPhones,
  detectDates,
  detectAddresses,
  detectInstitutions,
  detectChineseNames,
  detectEnglishNames,
];
