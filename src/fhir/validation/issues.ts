import type { CustodiaError } from '../../core/index.js';
import { badRequest, type ErrorDetails } from '../../core/index.js';
import type { IssueSeverity, IssueType } from '../types.js';

/**
 * One problem found in submitted FHIR content. `expression` is a FHIRPath-style path from the
 * resource root (`Patient.name[0].given[1]`). Messages never quote the submitted value: it may
 * be health data, and outcomes end up in logs.
 */
export interface ValidationIssue {
  severity: IssueSeverity;
  code: IssueType;
  expression: string;
  /** English, for people. */
  message: string;
  /** The same in Chinese. */
  zh: string;
}

/** The key under which a CustodiaError carries its issues, so that outcomes can list them all. */
export const ISSUES_EXTENSION = 'fhirIssues';

export function issuesOf(error: CustodiaError): ValidationIssue[] | undefined {
  const issues = error.extensions?.[ISSUES_EXTENSION];
  return Array.isArray(issues) ? (issues as ValidationIssue[]) : undefined;
}

/** A 400 that carries every issue found; the first one names the error. */
export function invalidContent(
  issues: readonly ValidationIssue[],
  details: ErrorDetails = {},
): CustodiaError {
  const first = issues.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const moreZh = issues.length > 1 ? `（另有 ${issues.length - 1} 个问题）` : '';
  return badRequest(first ? `${first.message} at ${first.expression}${more}` : 'Invalid FHIR content', {
    zh: first ? `${first.expression}：${first.zh}${moreZh}` : 'FHIR 内容无效',
    path: first?.expression,
    hint: details.hint ?? 'Fix the listed elements and send the resource again.',
    ...details,
    extensions: { ...details.extensions, [ISSUES_EXTENSION]: issues },
  });
}

export const issue = (
  code: IssueType,
  expression: string,
  message: string,
  zh: string,
  severity: IssueSeverity = 'error',
): ValidationIssue => ({ severity, code, expression, message, zh });
