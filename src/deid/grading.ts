import type { AccessScope, DiscoveryReport, GradingScheme, IdentifierType } from '../classify/index.js';
import { ColumnDiscovery, getGrade, getScheme } from '../classify/index.js';
import { isCustodiaError } from '../core/index.js';
import { deidError } from './errors.js';
import type { OperatorSpec } from './operators/spec.js';

/**
 * Profiles derived from a grading scheme (分级): the classification module grades each column
 * (from what its values and header look like) and each grade says how wide a circle may see it
 * (`maxAccessScope`, GB/T 39725's access ranges). To release a table to a wider circle than a
 * column's grade allows, the column is de-identified; the operator depends on what kind of
 * identifier it holds and on how wide the release is.
 */

/** Narrowest first: a release to `large` must treat every column whose grade stops below it. */
export const ACCESS_SCOPES: readonly AccessScope[] = ['minimal', 'small', 'medium', 'large', 'public'];

const scopeRank = (s: AccessScope) => ACCESS_SCOPES.indexOf(s);

/** The operators for columns a release must treat: [for a medium/small release, for a large/public one]. */
const BY_TYPE: Readonly<Record<IdentifierType, readonly [OperatorSpec, OperatorSpec]>> = {
  name: [{ op: 'mask', format: 'name' }, { op: 'redact' }],
  'resident-id': [{ op: 'mask', format: 'resident-id' }, { op: 'pseudonymize' }],
  mobile: [{ op: 'mask', format: 'phone' }, { op: 'redact' }],
  landline: [{ op: 'mask', format: 'phone' }, { op: 'redact' }],
  address: [{ op: 'mask', format: 'address' }, { op: 'redact' }],
  'division-code': [
    { op: 'generalize', hierarchy: 'division', level: 'city' },
    { op: 'generalize', hierarchy: 'division', level: 'province' },
  ],
  'date-of-birth': [
    { op: 'date', grain: 'month' },
    { op: 'date', grain: 'year', collapseAgeOver: 89 },
  ],
  date: [
    { op: 'date', grain: 'month' },
    { op: 'date', grain: 'year' },
  ],
  // Record numbers keep their linking power through keyed pseudonyms: nobody needs the number itself.
  mrn: [{ op: 'pseudonymize' }, { op: 'pseudonymize' }],
  'insurance-number': [{ op: 'pseudonymize' }, { op: 'pseudonymize' }],
  passport: [{ op: 'pseudonymize' }, { op: 'pseudonymize' }],
  ssn: [{ op: 'pseudonymize' }, { op: 'pseudonymize' }],
  email: [{ op: 'mask', format: 'email' }, { op: 'redact' }],
  ip: [{ op: 'redact' }, { op: 'redact' }],
  zip: [{ op: 'zip3' }, { op: 'zip3' }],
  // Health content graded above the release (e.g. an HIV diagnosis under a core-privacy grade):
  // no operator makes the content itself less sensitive, so it is withheld.
  'diagnosis-code': [{ op: 'redact' }, { op: 'redact' }],
};

/** One column as the grading profile decided it; goes into the report. */
export interface GradedField {
  name: string;
  grade: string;
  /** Where the grade came from: set in the profile, or proposed by discovery. */
  gradeSource: 'profile' | 'discovery';
  identifierType: IdentifierType | 'none';
  operator: OperatorSpec;
  reason: string;
}

export interface GradingSettings {
  scheme: GradingScheme;
  release: AccessScope;
  /** Per-grade operators set in the profile; they win over the derived ones. */
  handling: Readonly<Record<string, OperatorSpec>>;
  /** Grades set in the profile by field; hand-set grades are never replaced by discovery. */
  grades: Readonly<Record<string, string>>;
}

/** Looks a scheme up by id, as a profile error (with the path) rather than a 404. */
export function schemeFor(id: string, path: string): GradingScheme {
  try {
    return getScheme(id);
  } catch (e) {
    if (!isCustodiaError(e)) throw e;
    throw deidError(`${path}: unknown grading scheme "${id}"`, `${path}：未知的分级方案“${id}”`, {
      path,
      hint: 'use seed-3-grade, gbt-39725-2020 or hipaa, or register the scheme first',
    });
  }
}

/** The operator for one column, and why (in words a reviewer can check). */
export function gradingOperator(
  settings: GradingSettings,
  grade: string,
  identifierType: IdentifierType | 'none',
  path: string,
): { operator: OperatorSpec; reason: string } {
  let g;
  try {
    g = getGrade(settings.scheme, grade);
  } catch {
    throw deidError(
      `${path}: grade "${grade}" is not in scheme ${settings.scheme.id} (grades: ${settings.scheme.grades.map((x) => x.id).join(', ')})`,
      `${path}：分级方案 ${settings.scheme.id} 中没有级别“${grade}”`,
      { path },
    );
  }
  const handled = settings.handling[g.id];
  if (handled !== undefined) return { operator: handled, reason: `grading.handling.${g.id}` };
  const scope = g.handling.maxAccessScope;
  if (scopeRank(scope) >= scopeRank(settings.release)) {
    return { operator: { op: 'keep' }, reason: `${g.id} may be seen in a ${scope} range` };
  }
  const wide = scopeRank(settings.release) >= scopeRank('large');
  const why = `${g.id} stops at a ${scope} range; release is ${settings.release}`;
  if (identifierType === 'none') {
    return { operator: { op: 'redact' }, reason: `${why}; not an identifier, so the content is withheld` };
  }
  return { operator: BY_TYPE[identifierType][wide ? 1 : 0], reason: `${why}; ${identifierType}` };
}

/**
 * Grades the columns that the profile does not list and derives their operators. Discovery sees
 * the first rows only (`sampleRows`): identifier types are a property of the column, and the
 * output must not wait for a whole extra pass over a large file.
 */
export async function deriveGradedFields(
  settings: GradingSettings,
  columns: readonly string[],
  rows: AsyncIterable<Record<string, unknown>>,
  listed: ReadonlySet<string>,
  sampleRows = 50_000,
): Promise<GradedField[]> {
  const discovery = new ColumnDiscovery(columns, { scheme: settings.scheme });
  let n = 0;
  for await (const row of rows) {
    discovery.add(columns.map((c) => row[c]));
    if (++n >= sampleRows) break;
  }
  const report: DiscoveryReport = discovery.finish();
  const out: GradedField[] = [];
  for (const col of report.columns) {
    if (listed.has(col.header)) continue;
    const set = settings.grades[col.header];
    const grade = set ?? col.grade.grade;
    const { operator, reason } = gradingOperator(
      settings,
      grade,
      col.proposedType,
      `grading.grades.${col.header}`,
    );
    out.push({
      name: col.header,
      grade,
      gradeSource: set === undefined ? 'discovery' : 'profile',
      identifierType: col.proposedType,
      operator,
      reason,
    });
  }
  return out;
}
