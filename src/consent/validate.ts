/**
 * Checks a submitted rule and brings it to its canonical form (lists sorted and without
 * repeats, grades as the scheme's ids), so that equal rules hash equal and compare equal.
 */
import { badRequest } from '../core/index.js';
import { DATA_CATEGORIES, type DataCategory, type GradingScheme, type Purpose } from '../classify/index.js';
import { isOrganizationType, type OrganizationType } from '../identity/index.js';
import { gradeOf } from './defaults.js';
import type { Effect, Period, RecipientScope, RuleInput } from './model.js';
import { parsePurpose } from './purpose-codes.js';

const LABEL = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
const ID = /^[A-Za-z0-9\-.:_]{1,128}$/;
const MAX_VALUES = 200;

/** A rule as a client sends it: purposes may be HL7 codes, recipients plain JSON. */
export interface RawRule {
  effect: string;
  categories?: readonly string[] | undefined;
  labels?: readonly string[] | undefined;
  grades?: readonly string[] | undefined;
  purposes?: readonly string[] | undefined;
  recipient?: { kind: string; values?: readonly string[] | undefined } | undefined;
  period?: { start?: number | string | undefined; end?: number | string | undefined } | undefined;
}

export function validateRule(raw: RawRule, scheme: GradingScheme, path = 'rule'): RuleInput {
  if (raw.effect !== 'grant' && raw.effect !== 'deny')
    throw badRequest(`${path}.effect must be grant or deny`, {
      path: `${path}.effect`,
      zh: `${path}.effect 须为 grant（授权）或 deny（拒绝）`,
    });
  const effect: Effect = raw.effect;
  const categories = list(raw.categories, `${path}.categories`, (v, p) => {
    if (!(DATA_CATEGORIES as readonly string[]).includes(v))
      throw badRequest(`${p}: '${v}' is not a data category; use one of ${DATA_CATEGORIES.join(', ')}`, {
        path: p,
        zh: `${p}：“${v}”不是数据类别，可用：${DATA_CATEGORIES.join('、')}`,
      });
    return v as DataCategory;
  });
  const labels = list(raw.labels, `${path}.labels`, (v, p) => {
    if (!LABEL.test(v))
      throw badRequest(`${p}: '${v}' is not a security label code (e.g. HIV, PSY, ETH, R)`, {
        path: p,
        zh: `${p}：“${v}”不是安全标签代码（如 HIV、PSY、ETH、R）`,
      });
    return v;
  });
  const grades = list(raw.grades, `${path}.grades`, (v, p) => {
    const grade = gradeOf(scheme, v);
    if (!grade) {
      const valid = scheme.grades.map((g) => g.id);
      throw badRequest(`${p}: '${v}' is not a grade of scheme ${scheme.id}; use one of ${valid.join(', ')}`, {
        path: p,
        zh: `${p}：“${v}”不是分级方案 ${scheme.id} 的等级，可用：${valid.join('、')}`,
      });
    }
    return grade.id;
  });
  const purposes = list<Purpose>(raw.purposes, `${path}.purposes`, (v, p) => parsePurpose(v, p));
  const recipient = validateRecipient(raw.recipient, `${path}.recipient`);
  const period = validatePeriod(raw.period, `${path}.period`);
  return {
    effect,
    ...(categories && { categories }),
    ...(labels && { labels }),
    ...(grades && { grades }),
    ...(purposes && { purposes }),
    recipient,
    period,
  };
}

function list<T extends string>(
  values: readonly string[] | undefined,
  path: string,
  check: (value: string, path: string) => T,
): T[] | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0 || values.length > MAX_VALUES)
    throw badRequest(`${path} must list 1 to ${MAX_VALUES} values; leave it out to mean any`, {
      path,
      zh: `${path} 须列出 1 至 ${MAX_VALUES} 个值；不限定时请省略该字段`,
    });
  return [...new Set(values.map((v, i) => check(v, `${path}[${i}]`)))].sort();
}

function validateRecipient(raw: RawRule['recipient'], path: string): RecipientScope {
  if (raw === undefined || raw.kind === 'any') {
    if (raw?.values !== undefined && raw.values.length > 0)
      throw badRequest(`${path}: a recipient of kind any names no values`, {
        path,
        zh: `${path}：类型为 any 的接收方不应列出取值`,
      });
    return { kind: 'any' };
  }
  const kind = raw.kind;
  if (kind === 'organization-type') {
    const values = list<OrganizationType>(raw.values, `${path}.values`, (v, p) => {
      if (!isOrganizationType(v))
        throw badRequest(`${p}: '${v}' is not an organization type`, {
          path: p,
          zh: `${p}：“${v}”不是机构类型`,
        });
      return v;
    });
    if (!values) throw missingValues(path);
    return { kind, values };
  }
  if (kind === 'organization' || kind === 'project' || kind === 'agreement') {
    const values = list(raw.values, `${path}.values`, (v, p) => {
      if (!ID.test(v)) throw badRequest(`${p} is not an id`, { path: p, zh: `${p} 不是有效的标识` });
      return v;
    });
    if (!values) throw missingValues(path);
    return { kind, values };
  }
  throw badRequest(`${path}.kind must be any, organization-type, organization, project or agreement`, {
    path: `${path}.kind`,
    zh: `${path}.kind 须为 any、organization-type、organization、project 或 agreement`,
  });
}

const missingValues = (path: string) =>
  badRequest(`${path}.values must name at least one recipient`, {
    path: `${path}.values`,
    zh: `${path}.values 须至少列出一个接收方`,
  });

function validatePeriod(raw: RawRule['period'], path: string): Period {
  if (raw === undefined) return {};
  const start = instant(raw.start, `${path}.start`);
  const end = instant(raw.end, `${path}.end`);
  if (start !== undefined && end !== undefined && end <= start)
    throw badRequest(`${path} ends before it starts`, {
      path,
      zh: `${path} 的结束时间早于（或等于）开始时间`,
      hint: 'give an end after the start, or leave the end out for no end',
    });
  return { ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
}

/** Epoch ms, or an ISO 8601 date or date-time (a date means its start, UTC). */
function instant(value: number | string | undefined, path: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw badRequest(`${path} must be an ISO 8601 date-time or epoch milliseconds`, {
      path,
      zh: `${path} 须为 ISO 8601 时间或毫秒时间戳`,
      hint: 'e.g. 2027-01-01T00:00:00+08:00',
    });
  return ms;
}
