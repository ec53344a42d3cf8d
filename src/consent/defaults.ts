/**
 * What the tenant's grading scheme says about consent for one grade and purpose. The scheme is
 * the single source: each grade lists the purposes it allows and, per purpose, whether consent is
 * not required, opt-out, opt-in or separate (`classify/schemes/*.json`). Nothing here names a
 * grade.
 */
import { PURPOSE_NAMES, type Grade, type GradingScheme, type Purpose } from '../classify/index.js';
import type { RequirementOrForbidden } from './model.js';

/**
 * Uses the law allows without the person's consent and whatever they said: care in an emergency
 * and a declared public-health emergency (PIPL Art. 13(4)), a legal duty such as regulatory
 * oversight (Art. 13(3)), and the person's own request. Only where the scheme itself says consent
 * is `not-required` for the grade: a scheme that asks for consent (e.g. a separate consent for
 * emergency use of grade-1 data) is followed.
 */
export const CONSENT_INDEPENDENT: ReadonlySet<Purpose> = new Set([
  'emergency-treatment',
  'public-health-emergency',
  'regulatory',
  'patient-request',
]);

export interface GradeRequirement {
  requirement: RequirementOrForbidden;
  /** When no rule applies: the scheme's default (`defaultConsent`). */
  defaultPermit: boolean;
  /** True when no rule of the patient's can change the outcome. */
  consentIndependent: boolean;
  grade: Grade | undefined;
}

/** The grade of a query: `grade-2`, or records' `scheme:grade` form for this scheme. */
export function gradeOf(scheme: GradingScheme, grade: string): Grade | undefined {
  const id = grade.startsWith(`${scheme.id}:`) ? grade.slice(scheme.id.length + 1) : grade;
  return scheme.grades.find((g) => g.id === id);
}

export function requirementFor(scheme: GradingScheme, grade: string, purpose: Purpose): GradeRequirement {
  const g = gradeOf(scheme, grade);
  const rule = g?.handling.purposes[purpose];
  if (!g || !rule)
    return { requirement: 'forbidden', defaultPermit: false, consentIndependent: true, grade: g };
  return {
    requirement: rule.consent,
    defaultPermit: g.handling.defaultConsent[purpose] === 'permit',
    consentIndependent: rule.consent === 'not-required' && CONSENT_INDEPENDENT.has(purpose),
    grade: g,
  };
}

const REQUIREMENT_TEXT: Record<RequirementOrForbidden, { en: string; zh: string }> = {
  'not-required': { en: 'needs no consent', zh: '无需同意' },
  'opt-out': { en: 'is allowed unless the patient objected', zh: '除非患者明确拒绝，否则允许' },
  'opt-in': { en: 'needs the patient’s grant', zh: '须经患者授权' },
  separate: {
    en: 'needs a separate grant naming this purpose',
    zh: '须有专门针对该目的的单独同意',
  },
  forbidden: { en: 'is not allowed for this grade', zh: '该等级数据不允许用于此目的' },
};

/** "research use of Grade 2 needs the patient's grant", in both languages. */
export function describeRequirement(
  scheme: GradingScheme,
  grade: string,
  purpose: Purpose,
  requirement: RequirementOrForbidden,
): { en: string; zh: string } {
  const g = gradeOf(scheme, grade);
  const name = PURPOSE_NAMES[purpose];
  const text = REQUIREMENT_TEXT[requirement];
  return {
    en: `${name.en} use of ${g ? g.name.en : `unknown grade ${grade}`} ${text.en}`,
    zh: `${g ? g.name.zh : `未知等级 ${grade}`}数据用于${name.zh}${text.zh}`,
  };
}
