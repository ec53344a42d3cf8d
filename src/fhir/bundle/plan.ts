import { CustodiaError, badRequest, isCustodiaError, uuidv7 } from '../../core/index.js';
import { defaultRegistry, type FhirRegistry } from '../registry.js';
import { parseSearch, type ParsedSearch } from '../search/parse.js';
import { isRecord, type FhirResource } from '../types.js';
import { ISSUES_EXTENSION, issue, issuesOf, type ValidationIssue } from '../validation/issues.js';
import { defaultValidator, type FhirValidator } from '../validation/validator.js';
import { collectReferences, type ReferenceSlot } from './references.js';
import { parseETag, parseRequestUrl } from './request-url.js';

/** How a create is made conditional: FHIR's ifNoneExist, or the resource's own identifiers. */
export type CreateCondition =
  | { kind: 'search'; search: ParsedSearch }
  | { kind: 'identifier'; identifiers: { system: string; value: string }[] };

interface EntryBase {
  /** Position in the submitted Bundle: the response entry goes at the same position. */
  index: number;
  fullUrl?: string;
}

export type PlannedEntry = EntryBase &
  (
    | {
        op: 'create';
        resourceType: string;
        /** The id this server assigns if no existing resource matches the condition. */
        id: string;
        resource: FhirResource;
        condition?: CreateCondition;
        /** The id the sender used (its urn:uuid or resource.id): a key for idempotent re-import. */
        sourceId?: string;
        references: ReferenceSlot[];
      }
    | {
        op: 'update';
        resourceType: string;
        id: string;
        resource: FhirResource;
        /** If-Match: the version the sender last saw. */
        ifMatch?: string;
        references: ReferenceSlot[];
      }
    | { op: 'delete'; resourceType: string; id: string }
    | { op: 'read'; resourceType: string; id: string; versionId?: string }
    | { op: 'search'; search: ParsedSearch }
    /** Batch only: this entry failed on its own; the others go ahead. */
    | { op: 'failed'; error: CustodiaError }
  );

export type PlannedOp = PlannedEntry['op'];

export interface ConditionalReference {
  /** The reference as written, e.g. `Organization?identifier=https://github.com/synthetichealth/synthea|123`. */
  reference: string;
  search: ParsedSearch;
}

/**
 * A transaction or batch, checked and put in FHIR's processing order (DELETE, POST, PUT, GET),
 * ready for a store to execute. The store resolves what only it can know (conditional creates,
 * conditional references, whether external references exist), then calls bindPlan.
 */
export interface BundlePlan {
  kind: 'transaction' | 'batch';
  entries: PlannedEntry[];
  /** Number of entries in the submitted Bundle (the response has as many). */
  size: number;
  conditionalReferences: ConditionalReference[];
  /** `Type/id` references to resources outside the Bundle: the store checks that they exist. */
  externalReferences: string[];
  /** fullUrl → `Type/id` for every entry that creates or updates. */
  fullUrls: Map<string, { type: string; id: string; index: number }>;
  baseUrl?: string;
}

export interface PlanOptions {
  registry?: FhirRegistry;
  validator?: FhirValidator;
  newId?: () => string;
  /** The server's base URL: absolute URLs under it are local. */
  baseUrl?: string;
  /** More entries than this answers 413. */
  maxEntries?: number;
  now?: number;
}

export const DEFAULT_MAX_ENTRIES = 10_000;

const RANK: Record<PlannedOp, number> = { delete: 0, create: 1, update: 2, read: 3, search: 3, failed: 4 };

const entryError = (
  index: number,
  element: string,
  en: string,
  zh: string,
  code: ValidationIssue['code'] = 'invalid',
) =>
  badRequest(`Bundle.entry[${index}]${element}: ${en}`, {
    zh: `Bundle.entry[${index}]${element}：${zh}`,
    path: `Bundle.entry[${index}]${element}`,
    extensions: { [ISSUES_EXTENSION]: [issue(code, `Bundle.entry[${index}]${element}`, en, zh)] },
  });

const URN = /^urn:(uuid|oid):/;

/**
 * Checks a transaction or batch Bundle and plans it. The plan takes ownership of the Bundle:
 * resources are given their assigned ids and later rewritten in place (copying every resource
 * of a bulk import would double its cost).
 *
 * Transaction: any problem is a 400 (413 when too large) listing every issue; nothing is planned.
 * Batch: a bad entry becomes a `failed` entry and the others go ahead; only envelope problems
 * (not a batch, duplicate fullUrl, too large) fail the whole request.
 */
export function planBundle(bundle: unknown, options: PlanOptions = {}): BundlePlan {
  const registry = options.registry ?? defaultRegistry();
  const validator = options.validator ?? defaultValidator();
  const newId = options.newId ?? (() => uuidv7());
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;

  if (!isRecord(bundle) || bundle['resourceType'] !== 'Bundle') {
    throw badRequest('Expected a Bundle of type transaction or batch', {
      zh: '应为 transaction 或 batch 类型的 Bundle',
      path: 'Bundle',
    });
  }
  const kind = bundle['type'];
  if (kind !== 'transaction' && kind !== 'batch') {
    throw badRequest(`Bundle.type must be transaction or batch to be processed (got ${String(kind)})`, {
      zh: 'Bundle.type 必须为 transaction 或 batch 才能处理',
      path: 'Bundle.type',
      hint: 'Import collections with the import command, which reads each entry',
    });
  }
  const rawEntries = bundle['entry'] === undefined ? [] : bundle['entry'];
  if (!Array.isArray(rawEntries))
    throw badRequest('Bundle.entry must be an array', {
      zh: 'Bundle.entry 必须是数组',
      path: 'Bundle.entry',
    });
  if (rawEntries.length > maxEntries) {
    throw new CustodiaError(
      'payload-too-large',
      `The Bundle has ${rawEntries.length} entries; at most ${maxEntries} are accepted`,
      {
        zh: `Bundle 含 ${rawEntries.length} 个条目，最多接受 ${maxEntries} 个`,
        path: 'Bundle.entry',
        hint: 'Split it into smaller Bundles, or use the import command for bulk loads',
      },
    );
  }

  const fullUrls = new Map<string, { type: string; id: string; index: number }>();
  const targets = new Map<string, number>();
  const planned: PlannedEntry[] = [];
  const problems: CustodiaError[] = [];

  const fail = (index: number, error: CustodiaError) => {
    if (kind === 'transaction') problems.push(error);
    else planned.push({ op: 'failed', index, error });
  };

  rawEntries.forEach((raw: unknown, index) => {
    try {
      const entry = planEntry(raw, index, {
        registry,
        validator,
        newId,
        baseUrl: options.baseUrl,
        now: options.now,
      });
      if (entry.fullUrl !== undefined) {
        if (fullUrls.has(entry.fullUrl)) {
          throw badRequest(
            `Bundle.entry[${index}].fullUrl repeats the fullUrl of entry ${fullUrls.get(entry.fullUrl)!.index}`,
            {
              zh: `Bundle.entry[${index}].fullUrl 与第 ${fullUrls.get(entry.fullUrl)!.index} 个条目的 fullUrl 重复`,
              path: `Bundle.entry[${index}].fullUrl`,
              hint: 'Give every entry its own fullUrl',
            },
          );
        }
        if (entry.op === 'create' || entry.op === 'update')
          fullUrls.set(entry.fullUrl, { type: entry.resourceType, id: entry.id, index });
      }
      if (kind === 'transaction' && (entry.op === 'update' || entry.op === 'delete')) {
        const key = `${entry.resourceType}/${entry.id}`;
        const previous = targets.get(key);
        if (previous !== undefined) {
          throw entryError(
            index,
            '.request.url',
            `changes ${key}, which entry ${previous} changes too`,
            `修改的 ${key} 已被第 ${previous} 个条目修改`,
            'conflict',
          );
        }
        targets.set(key, index);
      }
      planned.push(entry);
    } catch (e) {
      if (!isCustodiaError(e)) throw e;
      // A duplicate fullUrl fails the whole Bundle, batch or not: references would be ambiguous.
      if (e.path?.endsWith('.fullUrl')) throw e;
      fail(index, e);
    }
  });

  // References: urn:uuid must name an entry; Type/id may name one (then it is local) or not.
  const conditional = new Map<string, ConditionalReference>();
  const external = new Set<string>();
  const localIds = new Set([...fullUrls.values()].map((t) => `${t.type}/${t.id}`));
  const base = options.baseUrl?.replace(/\/+$/, '');
  const failEntry = (entry: PlannedEntry, error: CustodiaError) => {
    if (kind === 'transaction') problems.push(error);
    else planned[planned.indexOf(entry)] = { op: 'failed', index: entry.index, error };
  };
  for (const entry of [...planned]) {
    if (entry.op !== 'create' && entry.op !== 'update') continue;
    for (const slot of entry.references) {
      const ref = slot.reference;
      if (ref.startsWith('#')) continue;
      if (kind === 'batch' && (fullUrls.has(ref) || URN.test(ref))) {
        failEntry(
          entry,
          entryError(
            entry.index,
            '.resource',
            `refers to ${ref}: entries of a batch cannot refer to each other (use a transaction)`,
            `引用了 ${ref}：batch 的条目之间不能相互引用（请使用 transaction）`,
          ),
        );
        break;
      }
      if (fullUrls.has(ref)) continue;
      if (URN.test(ref)) {
        failEntry(
          entry,
          entryError(
            entry.index,
            '.resource',
            `refers to ${ref}, which no entry of the Bundle has as fullUrl`,
            `引用的 ${ref} 不是本 Bundle 中任何条目的 fullUrl`,
            'not-found',
          ),
        );
        break;
      }
      const q = ref.indexOf('?');
      if (q > 0 && !ref.slice(0, q).includes('/')) {
        if (!conditional.has(ref)) {
          try {
            const search = parseSearch(ref.slice(0, q), ref.slice(q + 1), {
              registry,
              handling: 'strict',
              ...(options.now === undefined ? {} : { now: options.now }),
            });
            conditional.set(ref, { reference: ref, search });
          } catch (e) {
            if (!isCustodiaError(e)) throw e;
            failEntry(
              entry,
              entryError(
                entry.index,
                '.resource',
                `has a conditional reference this server cannot resolve: ${e.message}`,
                `含有无法解析的条件引用：${e.zh ?? e.message}`,
              ),
            );
            break;
          }
        }
        continue;
      }
      const local = base !== undefined && ref.startsWith(`${base}/`) ? ref.slice(base.length + 1) : ref;
      const m = /^([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(local);
      if (m && !localIds.has(m[1]!)) external.add(m[1]!);
    }
  }

  if (problems.length > 0) {
    const issues = problems.flatMap(
      (p) => issuesOf(p) ?? [issue('invalid', p.path ?? 'Bundle', p.message, p.zh ?? p.message)],
    );
    const first = problems[0]!;
    if (problems.length === 1 && first.code !== 'bad-request') throw first;
    throw badRequest(
      `The transaction was not processed: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`,
      {
        zh: `事务未执行：${first.zh ?? first.message}${problems.length > 1 ? `（另有 ${problems.length - 1} 个问题）` : ''}`,
        path: first.path,
        hint: 'Nothing was written. Fix the listed entries and send the whole transaction again',
        extensions: { [ISSUES_EXTENSION]: issues },
      },
    );
  }

  planned.sort((a, b) => RANK[a.op] - RANK[b.op] || a.index - b.index);
  return {
    kind,
    entries: planned,
    size: rawEntries.length,
    conditionalReferences: [...conditional.values()],
    externalReferences: [...external].sort(),
    fullUrls,
    ...(base === undefined ? {} : { baseUrl: base }),
  };
}

interface EntryContext {
  registry: FhirRegistry;
  validator: FhirValidator;
  newId: () => string;
  baseUrl: string | undefined;
  now: number | undefined;
}

function planEntry(raw: unknown, index: number, ctx: EntryContext): PlannedEntry {
  if (!isRecord(raw))
    throw entryError(index, '', 'an entry must be an object', '条目必须是对象', 'structure');
  const request = raw['request'];
  if (!isRecord(request)) {
    throw entryError(
      index,
      '.request',
      'transaction and batch entries need a request (method and url)',
      'transaction 和 batch 条目需要 request（method 与 url）',
      'required',
    );
  }
  const method = request['method'];
  const url = request['url'];
  if (typeof url !== 'string' || url === '')
    throw entryError(index, '.request.url', 'a request needs a url', 'request 需要 url', 'required');
  const fullUrl = typeof raw['fullUrl'] === 'string' ? raw['fullUrl'] : undefined;
  const withFullUrl = <T extends object>(e: T) => (fullUrl === undefined ? e : { ...e, fullUrl });
  const target = parseRequestUrl(url, ctx.baseUrl);
  if (!target) {
    throw entryError(
      index,
      '.request.url',
      "expected 'Type', 'Type/id' or 'Type?search' relative to this server",
      '应为相对本服务器的 “类型”、“类型/ID” 或 “类型?检索条件”',
    );
  }
  if (!ctx.registry.isSupported(target.type)) {
    throw entryError(
      index,
      '.request.url',
      `resource type '${target.type}' is not supported; supported types: ${ctx.registry.types.join(', ')}`,
      `不支持资源类型 '${target.type}'`,
      'not-supported',
    );
  }
  const validated = (expectedId?: string): FhirResource => {
    const result = ctx.validator.validate(raw['resource'], {
      expectedType: target.type,
      at: `Bundle.entry[${index}].resource`,
      ...(expectedId === undefined ? {} : { expectedId }),
    });
    if (!result.valid) throw ctx.validator.error(result.issues);
    return result.resource;
  };
  const strictSearch = (type: string, query: string, element: string) => {
    try {
      return parseSearch(type, query, {
        registry: ctx.registry,
        handling: 'strict',
        ...(ctx.now === undefined ? {} : { now: ctx.now }),
      });
    } catch (e) {
      if (isCustodiaError(e)) throw entryError(index, element, e.message, e.zh ?? e.message);
      throw e;
    }
  };

  switch (method) {
    case 'POST': {
      if (target.kind !== 'type' || target.query !== undefined) {
        throw entryError(
          index,
          '.request.url',
          "POST takes the type alone, e.g. 'Patient'",
          "POST 的 url 只能是类型，如 'Patient'",
        );
      }
      const resource = validated();
      const sourceId = fullUrl?.startsWith('urn:uuid:') ? fullUrl.slice(9) : resource.id;
      const id = ctx.newId();
      resource.id = id;
      const condition = createCondition(resource, request['ifNoneExist'], ctx, (q) =>
        strictSearch(target.type, q, '.request.ifNoneExist'),
      );
      return withFullUrl({
        op: 'create' as const,
        index,
        resourceType: target.type,
        id,
        resource,
        ...(condition === undefined ? {} : { condition }),
        ...(sourceId === undefined ? {} : { sourceId }),
        references: collectReferences(resource),
      });
    }
    case 'PUT': {
      if (target.kind !== 'instance') {
        throw entryError(
          index,
          '.request.url',
          "PUT takes 'Type/id' (conditional update is not supported)",
          "PUT 的 url 应为 '类型/ID'（不支持条件更新）",
          'not-supported',
        );
      }
      const resource = validated(target.id);
      const ifMatch = typeof request['ifMatch'] === 'string' ? parseETag(request['ifMatch']) : undefined;
      if (typeof request['ifMatch'] === 'string' && ifMatch === undefined) {
        throw entryError(
          index,
          '.request.ifMatch',
          'expected an ETag such as W/"3"',
          '应为 W/"3" 形式的 ETag',
        );
      }
      return withFullUrl({
        op: 'update' as const,
        index,
        resourceType: target.type,
        id: target.id,
        resource,
        ...(ifMatch === undefined ? {} : { ifMatch }),
        references: collectReferences(resource),
      });
    }
    case 'DELETE':
      if (target.kind !== 'instance') {
        throw entryError(
          index,
          '.request.url',
          "DELETE takes 'Type/id' (conditional delete is not supported)",
          "DELETE 的 url 应为 '类型/ID'（不支持条件删除）",
          'not-supported',
        );
      }
      return withFullUrl({ op: 'delete' as const, index, resourceType: target.type, id: target.id });
    case 'GET':
    case 'HEAD':
      if (target.kind === 'type')
        return withFullUrl({
          op: 'search' as const,
          index,
          search: strictSearch(target.type, target.query ?? '', '.request.url'),
        });
      if (target.kind === 'version')
        return withFullUrl({
          op: 'read' as const,
          index,
          resourceType: target.type,
          id: target.id,
          versionId: target.versionId,
        });
      return withFullUrl({ op: 'read' as const, index, resourceType: target.type, id: target.id });
    case 'PATCH':
      throw entryError(
        index,
        '.request.method',
        'PATCH is not supported; send the whole resource with PUT',
        '不支持 PATCH；请用 PUT 发送完整资源',
        'not-supported',
      );
    default:
      throw entryError(
        index,
        '.request.method',
        'method must be GET, HEAD, POST, PUT or DELETE',
        'method 必须为 GET、HEAD、POST、PUT 或 DELETE',
        'code-invalid',
      );
  }
}

function createCondition(
  resource: FhirResource,
  ifNoneExist: unknown,
  ctx: EntryContext,
  search: (query: string) => ParsedSearch,
): CreateCondition | undefined {
  if (typeof ifNoneExist === 'string' && ifNoneExist !== '') {
    return {
      kind: 'search',
      search: search(ifNoneExist.startsWith('?') ? ifNoneExist.slice(1) : ifNoneExist),
    };
  }
  return identifierCondition(resource, ctx.registry);
}

/**
 * The condition that makes a create of this resource idempotent without ifNoneExist: its
 * identifiers (system and value), where its type indexes them. Undefined when it has none.
 */
export function identifierCondition(
  resource: FhirResource,
  registry: FhirRegistry = defaultRegistry(),
): CreateCondition | undefined {
  if (!registry.searchParam(resource.resourceType, 'identifier')) return undefined;
  const identifiers: { system: string; value: string }[] = [];
  for (const item of Array.isArray(resource['identifier']) ? resource['identifier'] : []) {
    if (isRecord(item) && typeof item['system'] === 'string' && typeof item['value'] === 'string') {
      identifiers.push({ system: item['system'], value: item['value'].trim() });
    }
  }
  return identifiers.length > 0 ? { kind: 'identifier', identifiers } : undefined;
}
