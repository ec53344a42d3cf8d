import type { CustodiaError } from '../../core/index.js';
import { SUPPORTED_RESOURCE_TYPES } from '../resource-types.js';
import { isRecord, type FhirResource } from '../types.js';
import { invalidContent, issue, type ValidationIssue } from './issues.js';
import { issueFromAjv } from './messages.js';
import { checkRequiredElements } from './required.js';
import { sharedSchema, type FhirSchema } from './schema.js';

export interface ValidatorOptions {
  /** The resource types accepted at the top level and in Bundle entries. */
  types?: readonly string[];
  /** Stop collecting after this many issues (a broken bulk file could yield millions). */
  maxIssues?: number;
  schema?: FhirSchema;
}

export interface ValidateOptions {
  /** The type named by the URL (`POST /fhir/Patient`): the body's resourceType must match. */
  expectedType?: string;
  /** The id named by the URL on update (`PUT /fhir/Patient/7`): the body's id must match. */
  expectedId?: string;
  /** The path of the resource in its message, e.g. `Bundle.entry[3].resource` (default: its type). */
  at?: string;
}

export type ValidationResult =
  { valid: true; resource: FhirResource } | { valid: false; issues: ValidationIssue[] };

const MAX_BUNDLE_DEPTH = 3;

/**
 * Structural validation of R4 JSON against the official schema, plus the rules a JSON schema
 * cannot state: the URL's type and id, nested resources checked against their own types,
 * contained resources that contain nothing (dom-2), and calendar-valid dates.
 *
 * The fast path runs ajv with allErrors off and answers as soon as the resource passes; only a
 * failing resource is run again with allErrors on, to report every issue with its path.
 */
export class FhirValidator {
  readonly types: readonly string[];
  private readonly accepted: ReadonlySet<string>;
  private readonly maxIssues: number;
  private readonly schema: FhirSchema;

  constructor(options: ValidatorOptions = {}) {
    this.types = options.types ?? SUPPORTED_RESOURCE_TYPES;
    this.accepted = new Set(this.types);
    this.maxIssues = options.maxIssues ?? 100;
    this.schema = options.schema ?? sharedSchema();
  }

  validate(value: unknown, options: ValidateOptions = {}): ValidationResult {
    const issues: ValidationIssue[] = [];
    const root = options.at ?? options.expectedType ?? 'Resource';
    if (!isRecord(value)) {
      issues.push(issue('structure', root, 'A resource must be a JSON object', '资源必须是 JSON 对象'));
      return { valid: false, issues };
    }
    const type = value['resourceType'];
    if (typeof type !== 'string') {
      issues.push(
        issue(
          'required',
          `${root}.resourceType`,
          "Required element 'resourceType' is missing",
          "缺少必填元素 'resourceType'",
        ),
      );
      return { valid: false, issues };
    }
    if (options.expectedType !== undefined && type !== options.expectedType) {
      issues.push(
        issue(
          'invalid',
          `${options.at ?? options.expectedType}.resourceType`,
          `The body is a ${type} but the URL names ${options.expectedType}`,
          `请求体为 ${type}，但 URL 指定的是 ${options.expectedType}`,
        ),
      );
      return { valid: false, issues };
    }
    if (type !== 'Bundle' && !this.accepted.has(type)) {
      issues.push(this.unsupported(type, `${options.at ?? type}.resourceType`));
      return { valid: false, issues };
    }
    if (options.expectedId !== undefined && value['id'] !== options.expectedId) {
      issues.push(
        issue(
          'invalid',
          `${options.at ?? type}.id`,
          'The id in the body must equal the id in the URL',
          '请求体中的 id 必须与 URL 中的 id 一致',
        ),
      );
    }
    this.check(value, type, options.at ?? type, 0, issues);
    if (issues.length > 0) return { valid: false, issues: this.capped(issues) };
    return { valid: true, resource: value as FhirResource };
  }

  /** Returns the resource, typed, or throws a 400 CustodiaError carrying every issue. */
  assertValid(value: unknown, options: ValidateOptions = {}): FhirResource {
    const result = this.validate(value, options);
    if (!result.valid) throw this.error(result.issues);
    return result.resource;
  }

  error(issues: readonly ValidationIssue[]): CustodiaError {
    return invalidContent(issues);
  }

  /** Checks one resource against its type's schema, then its contained resources and Bundle entries. */
  private check(
    value: Record<string, unknown>,
    type: string,
    path: string,
    depth: number,
    out: ValidationIssue[],
  ) {
    const fast = this.schema.validator(type, 'fast');
    if (!fast(value)) {
      const detailed = this.schema.validator(type, 'detailed');
      detailed(value);
      for (const error of detailed.errors ?? []) {
        const found = issueFromAjv(error, path);
        if (found && !out.some((o) => o.expression === found.expression && o.message === found.message))
          out.push(found);
        if (out.length > this.maxIssues) return;
      }
    }
    checkRequiredElements(value, type, path, out);
    const contained = value['contained'];
    if (Array.isArray(contained)) this.checkContained(contained, path, depth, out);
    if (type === 'Bundle') this.checkEntries(value['entry'], path, depth, out);
  }

  private checkContained(contained: unknown[], path: string, depth: number, out: ValidationIssue[]) {
    contained.forEach((child, i) => {
      const at = `${path}.contained[${i}]`;
      const type = isRecord(child) ? child['resourceType'] : undefined;
      // Contained resources may be of any R4 type (a contained Medication is common): they are
      // stored inside their container, not on their own.
      if (typeof type !== 'string' || !this.schema.resourceTypes.has(type)) {
        out.push(
          issue(
            'structure',
            `${at}.resourceType`,
            'A contained resource needs a known R4 resourceType',
            '内含资源需要有效的 R4 resourceType',
          ),
        );
        return;
      }
      if (isRecord(child) && child['contained'] !== undefined) {
        out.push(
          issue(
            'invariant',
            `${at}.contained`,
            'A contained resource must not contain resources itself (dom-2)',
            '内含资源自身不得再内含资源（dom-2）',
          ),
        );
      }
      this.check(child as Record<string, unknown>, type, at, depth + 1, out);
    });
  }

  private checkEntries(entries: unknown, path: string, depth: number, out: ValidationIssue[]) {
    if (!Array.isArray(entries)) return;
    if (depth >= MAX_BUNDLE_DEPTH) {
      out.push(issue('too-costly', path, 'Bundles are nested too deeply', 'Bundle 嵌套层级过深'));
      return;
    }
    entries.forEach((entry, i) => {
      if (!isRecord(entry) || !isRecord(entry['resource'])) return;
      const resource = entry['resource'];
      const at = `${path}.entry[${i}].resource`;
      const type = resource['resourceType'];
      if (typeof type !== 'string') return; // the envelope's schema already reported it
      if (type !== 'Bundle' && !this.accepted.has(type)) {
        out.push(this.unsupported(type, `${at}.resourceType`));
        return;
      }
      this.check(resource, type, at, depth + 1, out);
    });
  }

  private unsupported(type: string, at: string): ValidationIssue {
    const known = this.schema.resourceTypes.has(type);
    const list = this.types.join(', ');
    return issue(
      'not-supported',
      at,
      `${known ? 'Resource type' : 'Unknown resource type'} '${type}' is not supported here; supported types: ${list}`,
      `${known ? '不支持资源类型' : '未知资源类型'} '${type}'；支持的类型：${list}`,
    );
  }

  private capped(issues: ValidationIssue[]): ValidationIssue[] {
    if (issues.length <= this.maxIssues) return issues;
    const kept = issues.slice(0, this.maxIssues);
    kept.push(
      issue(
        'too-costly',
        kept[0]!.expression.split(/[.[]/)[0]!,
        `More than ${this.maxIssues} issues; the rest are not listed`,
        `问题超过 ${this.maxIssues} 个，其余未列出`,
        'information',
      ),
    );
    return kept;
  }
}

let shared: FhirValidator | undefined;

/** A validator for the default supported types, shared by everything in the process. */
export function defaultValidator(): FhirValidator {
  shared ??= new FhirValidator();
  return shared;
}
