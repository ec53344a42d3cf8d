import type { ErrorObject } from 'ajv';
import { REFERENCE_FORMS } from './references.js';
import { issue, type ValidationIssue } from './issues.js';

/** Turns a JSON pointer (`/name/0/given/1`) into a FHIRPath-style path (`.name[0].given[1]`). */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // FHIR element names never start with a digit, so a numeric segment is an array index.
    out += /^\d+$/.test(segment) ? `[${segment}]` : `.${segment}`;
  }
  return out;
}

const JSON_TYPE_ZH: Record<string, string> = {
  string: '字符串',
  number: '数字',
  integer: '整数',
  boolean: '布尔值',
  object: '对象',
  array: '数组',
};

/** What each primitive's pattern requires, in words, for messages about a failed pattern. */
const PRIMITIVE_RULES: Record<string, [en: string, zh: string]> = {
  date: ['expected YYYY, YYYY-MM or YYYY-MM-DD', '应为 YYYY、YYYY-MM 或 YYYY-MM-DD'],
  dateTime: [
    'expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or ±hh:mm)',
    '应为 YYYY、YYYY-MM、YYYY-MM-DD 或带时区（Z 或 ±hh:mm）的 YYYY-MM-DDThh:mm:ss(.sss)',
  ],
  instant: [
    'expected YYYY-MM-DDThh:mm:ss(.sss) with a time zone (Z or ±hh:mm)',
    '应为带时区（Z 或 ±hh:mm）的 YYYY-MM-DDThh:mm:ss(.sss)',
  ],
  time: ['expected hh:mm:ss', '应为 hh:mm:ss'],
  id: ['expected 1 to 64 letters, digits, "-" or "."', '应为 1 至 64 个字母、数字、“-” 或 “.”'],
  code: ['expected a code without leading, trailing or repeated whitespace', '代码不能有首尾空白或连续空白'],
  string: ['expected a non-empty string', '应为非空字符串'],
  uri: ['expected a URI without whitespace', '应为不含空白的 URI'],
  url: ['expected a URL without whitespace', '应为不含空白的 URL'],
  canonical: ['expected a canonical URL without whitespace', '应为不含空白的规范 URL'],
  oid: ['expected urn:oid:…', '应为 urn:oid:…'],
  uuid: ['expected urn:uuid:…', '应为 urn:uuid:…'],
  decimal: ['expected a decimal number', '应为十进制数'],
  integer: ['expected an integer', '应为整数'],
  positiveInt: ['expected an integer greater than 0', '应为大于 0 的整数'],
  unsignedInt: ['expected an integer of 0 or more', '应为不小于 0 的整数'],
  base64Binary: ['expected base64 content', '应为 base64 内容'],
  markdown: ['expected non-empty markdown', '应为非空 markdown'],
};

const DEFINITION = /\/definitions\/([A-Za-z0-9_]+)\/(?:pattern|format)$/;

/** One ajv error, said as a FHIR issue at `root + path`. */
export function issueFromAjv(error: ErrorObject, root: string): ValidationIssue | undefined {
  const at = root + pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const name = String(params['missingProperty']);
      return issue(
        'required',
        `${at}.${name}`,
        `Required element '${name}' is missing`,
        `缺少必填元素 '${name}'`,
      );
    }
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      return issue(
        'structure',
        `${at}.${name}`,
        `Unknown element '${name}': FHIR R4 defines no such element here (check the spelling and the [x] type suffix, e.g. valueQuantity)`,
        `未知元素 '${name}'：FHIR R4 在此处未定义该元素（请检查拼写及 [x] 类型后缀，如 valueQuantity）`,
      );
    }
    case 'type': {
      const expected = String(params['type']);
      return issue(
        'structure',
        at,
        `Wrong JSON type: expected ${expected === 'array' ? 'an array' : `a ${expected}`}`,
        `JSON 类型错误：应为${JSON_TYPE_ZH[expected] ?? expected}`,
      );
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String).join(', ');
      return issue(
        'code-invalid',
        at,
        `Code is not one of the allowed values: ${allowed}`,
        `代码不在允许的取值中：${allowed}`,
      );
    }
    case 'const': {
      const allowed = String(params['allowedValue']);
      return issue('invalid', at, `Value must be '${allowed}'`, `取值必须为 '${allowed}'`);
    }
    case 'pattern': {
      const primitive = DEFINITION.exec(error.schemaPath)?.[1] ?? 'value';
      const [en, zh] = PRIMITIVE_RULES[primitive] ?? [
        'does not match the required pattern',
        '不符合规定格式',
      ];
      return issue('value', at, `Invalid ${primitive}: ${en}`, `${primitive} 无效：${zh}`);
    }
    case 'format': {
      if (params['format'] === 'fhir-reference') {
        return issue(
          'value',
          at,
          `Malformed reference: expected ${REFERENCE_FORMS}`,
          '引用格式错误：应为 “类型/ID”、绝对 URL、urn:uuid:…、urn:oid:… 或 “#内含资源ID”',
        );
      }
      return issue(
        'value',
        at,
        'Not a real calendar date: the day is past the end of its month',
        '不是有效的日历日期：日期超出该月天数',
      );
    }
    case 'allOf':
    case 'anyOf':
    case 'oneOf':
    case 'if':
      // Wrappers: the errors of their branches say what is wrong.
      return undefined;
    default:
      return issue(
        'invalid',
        at,
        `Invalid content (${error.keyword}): ${error.message ?? 'schema violation'}`,
        `内容无效（${error.keyword}）`,
      );
  }
}
