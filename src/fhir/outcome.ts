import { isCustodiaError, type CustodiaError, type ErrorCode } from '../core/index.js';
import { issuesOf, type ValidationIssue } from './validation/issues.js';
import type { IssueSeverity, IssueType, OperationOutcome, OperationOutcomeIssue } from './types.js';

/**
 * OperationOutcome, the FHIR error body. One representation throughout:
 *  - `diagnostics`: the English message, then what to do about it;
 *  - `details.text`: the Chinese message (zh-CN clients show this one);
 *  - `expression` and `location`: the FHIRPath of the offending element. R4 deprecates
 *    `location` (XPath) but many clients still only read it, so it repeats the same path;
 *  - `details.coding`: a refusal's reason code in `DENIAL_REASON_SYSTEM`, for programs.
 */

/**
 * The code system of the reasons a refusal (403) carries: guard's and the default policy pack's
 * codes (`purpose-required`, `no-care-relationship`, `redacted`, `break-glass-expired`,
 * `deidentification-required`, …) and the `@reason` of any forbid in a tenant's own policies.
 * problem+json carries the same code as its `reason` member.
 */
export const DENIAL_REASON_SYSTEM = 'https://custodia.dev/fhir/CodeSystem/denial-reason';

/** A refusal's reason code: the `reason` extension guard gives the errors it throws. */
export function denialReasonOf(error: CustodiaError): string | undefined {
  const reason = error.extensions?.reason;
  return typeof reason === 'string' && reason !== '' ? reason : undefined;
}

export interface OutcomeInput {
  severity?: IssueSeverity;
  code: IssueType;
  message: string;
  zh?: string;
  hint?: string;
  path?: string;
  /** A refusal's reason code (`DENIAL_REASON_SYSTEM`). */
  reason?: string | undefined;
}

export function outcomeIssue(input: OutcomeInput): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity: input.severity ?? 'error', code: input.code };
  if (input.reason || input.zh)
    out.details = {
      ...(input.reason ? { coding: [{ system: DENIAL_REASON_SYSTEM, code: input.reason }] } : {}),
      ...(input.zh ? { text: input.zh } : {}),
    };
  out.diagnostics = input.hint ? `${input.message}. ${input.hint}` : input.message;
  if (input.path) {
    out.expression = [input.path];
    out.location = [input.path];
  }
  return out;
}

export function operationOutcome(issues: readonly OutcomeInput[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues.map(outcomeIssue) };
}

export function outcomeFromIssues(issues: readonly ValidationIssue[]): OperationOutcome {
  return operationOutcome(
    issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      message: i.message,
      zh: i.zh,
      path: i.expression,
    })),
  );
}

/** An outcome saying all went well, for responses that must carry one (e.g. a batch entry). */
export function informationOutcome(message: string, zh: string): OperationOutcome {
  return operationOutcome([{ severity: 'information', code: 'informational', message, zh }]);
}

const ISSUE_TYPE: Record<ErrorCode, IssueType> = {
  'bad-request': 'invalid',
  'invalid-config': 'exception',
  unauthorized: 'login',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  conflict: 'conflict',
  'precondition-failed': 'conflict',
  gone: 'deleted',
  'payload-too-large': 'too-costly',
  'unsupported-media-type': 'not-supported',
  'too-many-requests': 'throttled',
  locked: 'lock-error',
  unavailable: 'transient',
  integrity: 'exception',
  internal: 'exception',
};

/** IssueType for an HTTP status, for errors that come without a Custodia code. */
export function issueTypeForStatus(status: number): IssueType {
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 405) return 'not-supported';
  if (status === 409 || status === 412) return 'conflict';
  if (status === 410) return 'deleted';
  if (status === 413) return 'too-costly';
  if (status === 415) return 'not-supported';
  if (status === 422) return 'processing';
  if (status === 423) return 'lock-error';
  if (status === 429) return 'throttled';
  if (status === 503) return 'transient';
  if (status >= 500) return 'exception';
  return 'invalid';
}

export interface GenericError {
  status: number;
  message: string;
  zh?: string;
  hint?: string;
  path?: string;
  /** Overrides the IssueType derived from the status (e.g. 'security', 'too-long'). */
  code?: IssueType;
  /** A refusal's reason code (`DENIAL_REASON_SYSTEM`). */
  reason?: string | undefined;
}

export function outcomeForError(error: GenericError): OperationOutcome {
  return operationOutcome([
    {
      severity: error.status >= 500 ? 'fatal' : 'error',
      code: error.code ?? issueTypeForStatus(error.status),
      message: error.message,
      zh: error.zh,
      hint: error.hint,
      path: error.path,
      reason: error.reason,
    },
  ]);
}

const INTERNAL = {
  status: 500,
  message: 'Internal server error',
  zh: '服务器内部错误',
  hint: 'Retry later; if it persists, report the time of the request to the administrator',
};

/**
 * Any thrown value as a status and an OperationOutcome. CustodiaErrors keep their message, hint,
 * zh and path (and every validation issue they carry); internal errors and anything else
 * become an opaque 500, since their messages may hold internals or data.
 */
export function outcomeFromError(error: unknown): { status: number; outcome: OperationOutcome } {
  if (!isCustodiaError(error)) return { status: 500, outcome: outcomeForError(INTERNAL) };
  const issues = issuesOf(error);
  if (issues && issues.length > 0) return { status: error.status, outcome: outcomeFromIssues(issues) };
  if (error.code === 'internal' || error.code === 'invalid-config') {
    return { status: error.status, outcome: outcomeForError({ ...INTERNAL, status: error.status }) };
  }
  return {
    status: error.status,
    outcome: outcomeForError({
      status: error.status,
      code: ISSUE_TYPE[error.code],
      message: error.message,
      zh: error.zh,
      hint: error.hint,
      path: error.path,
      reason: denialReasonOf(error),
    }),
  };
}
