/**
 * The errors every module raises. Each says what was wrong and what to do, in English and Chinese;
 * the API turns them into RFC 9457 problem+json, or a FHIR OperationOutcome under /fhir.
 */
export type ErrorCode =
  | 'bad-request'
  | 'invalid-config'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'precondition-failed'
  | 'gone'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'too-many-requests'
  | 'locked'
  | 'unavailable'
  | 'integrity'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  'bad-request': 400,
  'invalid-config': 500,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'precondition-failed': 412,
  gone: 410,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'too-many-requests': 429,
  locked: 423,
  unavailable: 503,
  integrity: 500,
  internal: 500,
};

export interface ErrorDetails {
  /** What a person should do about it. */
  hint?: string;
  /** The message in Chinese, for zh-CN clients. */
  zh?: string;
  /** Where in the input the problem is: a JSON path, a FHIRPath expression, a config key. */
  path?: string;
  /** Seconds after which a retry may succeed (sent as Retry-After). */
  retryAfter?: number;
  /** Extra machine-readable members of the problem document. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class CustodiaError extends Error {
  readonly status: number;
  readonly hint: string | undefined;
  readonly zh: string | undefined;
  readonly path: string | undefined;
  readonly retryAfter: number | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CustodiaError';
    this.status = STATUS[code];
    this.hint = details.hint;
    this.zh = details.zh;
    this.path = details.path;
    this.retryAfter = details.retryAfter;
    this.extensions = details.extensions;
  }
}

export const isCustodiaError = (e: unknown): e is CustodiaError => e instanceof CustodiaError;

export const badRequest = (message: string, details?: ErrorDetails) =>
  new CustodiaError('bad-request', message, details);
export const unauthorized = (message: string, details?: ErrorDetails) =>
  new CustodiaError('unauthorized', message, details);
export const forbidden = (message: string, details?: ErrorDetails) =>
  new CustodiaError('forbidden', message, details);
export const notFound = (message: string, details?: ErrorDetails) =>
  new CustodiaError('not-found', message, details);
export const conflict = (message: string, details?: ErrorDetails) =>
  new CustodiaError('conflict', message, details);
export const unavailable = (message: string, details?: ErrorDetails) =>
  new CustodiaError('unavailable', message, details);
