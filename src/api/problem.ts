import { CustodiaError, isCustodiaError, type ErrorCode } from '../core/index.js';
import { denialReasonOf, DENIAL_REASON_SYSTEM } from '../fhir/index.js';
import { isConnectionError } from '../store/index.js';

/** An RFC 9457 problem document, with the message in English and Chinese. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  hint?: string;
  path?: string;
  messages: { en: string; 'zh-CN'?: string };
  requestId?: string;
  /** A refusal's reason code (`purpose-required`, `no-care-relationship`, …), for programs. */
  reason?: string;
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  423: 'Locked',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/**
 * Turns anything thrown into a CustodiaError a client may see: ours pass through; the
 * framework's (bad JSON, schema failures, size limits) get a clear message; database outages
 * become 503 with Retry-After; anything else is an internal error whose details stay in the log.
 */
export function toCustodiaError(error: unknown): CustodiaError {
  if (isCustodiaError(error)) return error;
  if (isConnectionError(error)) {
    return new CustodiaError('unavailable', 'the database is not reachable at the moment', {
      retryAfter: 5,
      hint: 'retry shortly; the server reconnects by itself when the database is back',
      zh: '数据库暂时不可用，请稍后重试',
    });
  }
  const e = error as FastifyLikeError;
  if (e.validation && e.validation.length > 0) {
    const first = e.validation[0]!;
    const where = `${e.validationContext ?? 'body'}${first.instancePath ?? ''}`;
    const missing = first.params?.missingProperty;
    const path = missing ? `${where}/${String(missing)}` : where;
    return new CustodiaError('bad-request', `${path}: ${first.message ?? 'is not valid'}`, {
      path,
      zh: `请求参数 ${path} 无效`,
      hint: 'see the OpenAPI document at /openapi.json for the expected shape',
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CustodiaError('bad-request', 'the request body is not valid JSON', {
        zh: '请求体不是有效的 JSON',
        hint: 'send a JSON document with Content-Type: application/json',
      });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CustodiaError('payload-too-large', 'the request body is larger than the server accepts', {
        zh: '请求体过大',
        hint: 'split the data into smaller requests, or use the bulk import (custodia import)',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CustodiaError('unsupported-media-type', 'the server does not accept this Content-Type', {
        zh: '不支持的内容类型',
        hint: 'send application/json (or application/fhir+json under /fhir)',
      });
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new CustodiaError('bad-request', e.message, { zh: '请求无效' });
  }
  return new CustodiaError('internal', 'an unexpected error occurred', {
    zh: '服务器内部错误',
    hint: 'the request id identifies the error in the server log; report it to the operators',
    cause: error,
  });
}

export function toProblem(
  error: CustodiaError,
  instance: string,
  requestId: string,
  preferChinese: boolean,
): Problem {
  const problem: Problem = {
    type: `urn:custodia:problem:${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: preferChinese && error.zh ? error.zh : error.message,
    instance,
    code: error.code,
    messages: error.zh ? { en: error.message, 'zh-CN': error.zh } : { en: error.message },
    requestId,
  };
  if (error.hint) problem.hint = error.hint;
  if (error.path) problem.path = error.path;
  if (error.extensions) Object.assign(problem, error.extensions);
  return problem;
}

const ISSUE_CODES: Partial<Record<ErrorCode, string>> = {
  'bad-request': 'invalid',
  unauthorized: 'login',
  forbidden: 'forbidden',
  'not-found': 'not-found',
  conflict: 'conflict',
  'precondition-failed': 'conflict',
  gone: 'deleted',
  'payload-too-large': 'too-costly',
  'too-many-requests': 'throttled',
  unavailable: 'transient',
  integrity: 'exception',
};

/**
 * The FHIR R4 form of an error, for everything under /fhir. A refusal's reason code (the `reason`
 * member of problem+json) is `details.coding` in Custodia's denial-reason code system.
 */
export function toOperationOutcome(error: CustodiaError, preferChinese: boolean) {
  const issue: Record<string, unknown> = {
    severity: error.status >= 500 ? 'fatal' : 'error',
    code: ISSUE_CODES[error.code] ?? 'exception',
    diagnostics: preferChinese && error.zh ? error.zh : error.message,
  };
  const reason = denialReasonOf(error);
  if (reason !== undefined || error.zh)
    issue.details = {
      ...(reason === undefined ? {} : { coding: [{ system: DENIAL_REASON_SYSTEM, code: reason }] }),
      ...(error.zh ? { text: preferChinese ? error.message : error.zh } : {}),
    };
  if (error.path) issue.expression = [error.path];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}
