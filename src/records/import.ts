import type { CustodiaError } from '../core/index.js';
import { badRequest, forbidden, isCustodiaError, uuidv7 } from '../core/index.js';
import {
  collectReferences,
  defaultValidator,
  identifierCondition,
  isRecord,
  readBundleEntries,
  readNdjson,
  type FhirResource,
} from '../fhir/index.js';
import { executeBundle, type BundleChange } from './bundle.js';
import type { CheckedLine } from './ingest-lines.js';
import { checkedNdjson } from './ingest-worker.js';
import { patientKeyOf, type PreparedVersion, type WriteContext } from './prepare.js';
import type { Records } from './records.js';
import { missingResources, resolveCreates, sourceIds } from './resolve.js';
import { insertNew } from './write.js';

export interface ImportProgress {
  created: number;
  matched: number;
  failed: number;
}

export interface ImportProblem {
  /** `file:line` for NDJSON, `file#entry` for Bundles. */
  where: string;
  message: string;
}

export interface ImportResult extends ImportProgress {
  /** The first problems found (at most 100; `failed` counts them all). */
  problems: ImportProblem[];
  /** Patient keys written to, for the audit trail (one entry per chunk, not per resource). */
  changes: BundleChange[];
}

const MAX_PROBLEMS = 100;
/**
 * Resources per database transaction during an NDJSON import. Large: a commit writes every index
 * page the chunk touched, and a page touched by many rows of one chunk is written once (measured:
 * 4,000 a chunk spends 40% less time in SQLite than 1,000). Still bounded, so memory stays flat.
 */
export const IMPORT_CHUNK = 5000;

type Source = AsyncIterable<Uint8Array | string>;

/** A resource of an NDJSON file on its way in: validated, given our id, its references rewritten. */
interface Pending {
  line: number;
  resource: FhirResource;
  /** The id the sender gave it. */
  sourceId: string | undefined;
  /** Our id, once given: kept when the resource waits for a later chunk, as others refer to it. */
  id?: string;
  /** Chunks it has waited through for a resource it refers to. */
  waited: number;
}

/** How many chunks a resource may wait for a resource it refers to that comes later in the file. */
const MAX_WAIT_CHUNKS = 4;

/**
 * Imports FHIR NDJSON (Bulk Data style, one resource per line) with flat memory: lines are read
 * one at a time and written in chunks of IMPORT_CHUNK resources per transaction. Each resource
 * gets a new id; the id the sender gave it is kept as its source id, so references between the
 * sender's resources (`Patient/<their id>`) are rewritten to ours, and a re-import matches what
 * is there (by source id or identifier) and creates nothing. A resource that refers to one further
 * down the file waits for it (up to MAX_WAIT_CHUNKS chunks). A bad line is reported and skipped.
 */
export async function importNdjson(
  records: Records,
  ctx: WriteContext,
  source: Source,
  name: string,
  onChunk?: (result: ImportResult) => void | Promise<void>,
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, matched: 0, failed: 0, problems: [], changes: [] };
  let chunk: Pending[] = [];
  let waiting: Pending[] = [];
  const flush = async (last: boolean) => {
    if (chunk.length === 0 && waiting.length === 0) return;
    waiting = await importChunk(records, ctx, [...waiting, ...chunk], name, result, last);
    chunk = [];
    await onChunk?.(result);
    result.changes = [];
  };
  for await (const lines of checkedLines(records, source))
    for (const item of lines) {
      if ('problem' in item) problem(result, `${name}:${item.line}`, item.problem);
      else {
        chunk.push({ line: item.line, resource: item.resource, sourceId: item.resource.id, waited: 0 });
        if (chunk.length >= IMPORT_CHUNK) await flush(false);
      }
    }
  await flush(true);
  if (result.created > 0) await records.refreshStatistics();
  return result;
}

/**
 * The file's lines, parsed and validated: in the NDJSON worker when the store uses the default
 * validator (the worker has only that one), here otherwise.
 */
async function* checkedLines(records: Records, source: Source): AsyncGenerator<CheckedLine[]> {
  if (records.validator === defaultValidator()) return yield* checkedNdjson(source);
  for await (const item of readNdjson(source)) {
    if ('error' in item) yield [{ line: item.line, problem: item.error.message }];
    else {
      const checked = records.validator.validate(item.resource);
      yield [
        checked.valid
          ? { line: item.line, resource: checked.resource }
          : { line: item.line, problem: records.validator.error(checked.issues).message },
      ];
    }
  }
}

/**
 * Imports a Bundle file. Transaction and batch Bundles run as the API would run them (a
 * transaction all or nothing); a collection (or searchset) is imported as a transaction of
 * creates. Entries are streamed from the file; a Bundle is at most `maxEntries` entries.
 */
export async function importBundle(
  records: Records,
  ctx: WriteContext,
  source: Source,
  name: string,
  options: { baseUrl: string; maxEntries?: number },
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, matched: 0, failed: 0, problems: [], changes: [] };
  const entries: unknown[] = [];
  let envelope: Record<string, unknown> = {};
  try {
    for await (const event of readBundleEntries(source)) {
      if (event.kind === 'entry') entries.push(event.entry);
      else envelope = event.envelope;
    }
  } catch (e) {
    if (!isCustodiaError(e)) throw e;
    problem(result, name, e);
    return result;
  }
  const type = envelope['type'];
  const bundle =
    type === 'transaction' || type === 'batch'
      ? { ...envelope, entry: entries }
      : {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: entries.map((e) => {
            const resource = isRecord(e) ? e['resource'] : undefined;
            const resourceType = isRecord(resource) ? resource['resourceType'] : undefined;
            return {
              ...(isRecord(e) && typeof e['fullUrl'] === 'string' ? { fullUrl: e['fullUrl'] } : {}),
              resource,
              request: { method: 'POST', url: typeof resourceType === 'string' ? resourceType : '' },
            };
          }),
        };
  try {
    const { response, changes } = await executeBundle(records, ctx, bundle, {
      ...options,
      reader: () => {
        throw forbidden('an import does not read: GET entries are not run', {
          zh: '导入不执行读取（GET）条目',
          hint: 'send Bundles with reads to the API, where access is decided per request',
        });
      },
    });
    result.changes = changes;
    for (const [i, entry] of (response.entry ?? []).entries()) {
      const status = Number.parseInt(entry.response?.status ?? '0', 10);
      if (status === 201) result.created++;
      else if (status === 200) result.matched++;
      else if (status >= 400) {
        result.failed++;
        const text = firstDiagnostics(entry.response?.outcome) ?? `status ${status}`;
        if (result.problems.length < MAX_PROBLEMS)
          result.problems.push({ where: `${name}#${i}`, message: text });
      }
    }
  } catch (e) {
    if (!isCustodiaError(e)) throw e;
    result.failed += entries.length;
    problem(result, name, e, 0);
  }
  if (result.created > 0) await records.refreshStatistics();
  return result;
}

/** Writes a chunk in one transaction; returns the resources that wait for a later chunk. */
async function importChunk(
  records: Records,
  ctx: WriteContext,
  items: Pending[],
  name: string,
  result: ImportResult,
  last: boolean,
): Promise<Pending[]> {
  // The sender's `Type/id` → ours: this chunk's resources here, earlier imports from the database.
  const ours = new Map<string, string>();
  const fresh = await giveIds(records, ctx, items, ours, result);
  const { ready, waiting } = await bindReferences(records, ctx, fresh, ours, name, result, last);

  await records.cipher.ensureKeys(
    records.tenant,
    ready.map((v) => patientKeyOf(v.resource, ctx.orgId, records.registry)),
  );
  const prepared: PreparedVersion[] = [];
  for (const v of ready) {
    try {
      prepared.push(await records.prepare(ctx, v.resource, 1, 'POST', v.sourceId));
    } catch (e) {
      if (!isCustodiaError(e)) throw e;
      problem(result, `${name}:${v.line}`, e);
    }
  }
  await records.db.transaction().execute((tx) => insertNew(records.writeTarget(tx), prepared));
  result.created += prepared.length;
  for (const p of prepared)
    result.changes.push({
      operation: 'create',
      reference: `${p.resourceType}/${p.id}`,
      patientKey: p.patientKey,
    });
  return waiting;
}

/**
 * Matches the chunk's new resources against what the organization has (re-import creates
 * nothing) and gives the others our ids; returns those to create.
 */
async function giveIds(
  records: Records,
  ctx: WriteContext,
  items: Pending[],
  ours: Map<string, string>,
  result: ImportResult,
): Promise<Pending[]> {
  const unmatched = items.filter((v) => v.id === undefined);
  const matched = await resolveCreates(
    records.db,
    records.tenant,
    ctx.orgId,
    records.indexer,
    unmatched.map((v, index) => ({
      index,
      resourceType: v.resource.resourceType,
      sourceId: v.sourceId,
      condition: identifierCondition(v.resource, records.registry),
    })),
  );
  result.matched += matched.size;
  for (const v of items)
    if (v.id !== undefined && v.sourceId !== undefined)
      ours.set(`${v.resource.resourceType}/${v.sourceId}`, v.id);
  for (const [index, v] of unmatched.entries()) {
    const id = matched.get(index);
    if (v.sourceId === undefined) {
      if (id === undefined) v.id = uuidv7();
      continue;
    }
    const key = `${v.resource.resourceType}/${v.sourceId}`;
    // The same resource twice in a chunk (a file that repeats its directory): the first one counts.
    const earlier = ours.get(key);
    if (id === undefined && earlier === undefined) ours.set(key, (v.id = uuidv7()));
    else {
      if (id === undefined) result.matched++;
      ours.set(key, id ?? earlier!);
    }
  }
  return items.flatMap((v) => {
    if (v.id === undefined) return [];
    v.resource.id = v.id;
    return [v];
  });
}

/**
 * Rewrites the sender's references to our ids: to resources of this file, then of earlier
 * imports of the organization. A resource whose target is nowhere yet waits for a later chunk;
 * on the last chunk (or after waiting MAX_WAIT_CHUNKS) it is reported and skipped.
 */
async function bindReferences(
  records: Records,
  ctx: WriteContext,
  fresh: Pending[],
  ours: Map<string, string>,
  name: string,
  result: ImportResult,
  last: boolean,
): Promise<{ ready: Pending[]; waiting: Pending[] }> {
  const slots = fresh.flatMap((v) => collectReferences(v.resource).map((slot) => ({ v, slot })));
  const unknown = [
    ...new Set(slots.map((s) => s.slot.reference).filter((r) => LOCAL.test(r) && !ours.has(r))),
  ];
  const earlier = await sourceIds(
    records.db,
    records.tenant,
    ctx.orgId,
    records.indexer,
    unknown.map((r) => ({ type: r.slice(0, r.indexOf('/')), sourceId: r.slice(r.indexOf('/') + 1) })),
  );
  for (const [k, id] of earlier) ours.set(k, id);
  const missing = new Set(
    await missingResources(
      records.db,
      records.tenant,
      unknown.filter((r) => !ours.has(r)),
    ),
  );
  const unresolved = new Map<Pending, string>();
  for (const { v, slot } of slots) {
    const target = ours.get(slot.reference);
    if (target !== undefined)
      slot.holder['reference'] = `${slot.reference.slice(0, slot.reference.indexOf('/'))}/${target}`;
    else if (missing.has(slot.reference) && !unresolved.has(v)) unresolved.set(v, slot.reference);
  }
  const ready: Pending[] = [];
  const waiting: Pending[] = [];
  for (const v of fresh) {
    const reference = unresolved.get(v);
    if (reference === undefined) ready.push(v);
    else if (!last && v.waited < MAX_WAIT_CHUNKS) waiting.push({ ...v, waited: v.waited + 1 });
    else
      problem(
        result,
        `${name}:${v.line}`,
        badRequest(`refers to ${reference}, which was not imported`, {
          zh: `引用的 ${reference} 尚未导入`,
          hint: 'import the referenced resources too (in this file or before it)',
        }),
      );
  }
  return { ready, waiting };
}

const LOCAL = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

function problem(result: ImportResult, where: string, error: CustodiaError | string, count = 1): void {
  result.failed += count;
  const message = typeof error === 'string' ? error : error.message;
  if (result.problems.length < MAX_PROBLEMS) result.problems.push({ where, message });
}

function firstDiagnostics(outcome: FhirResource | undefined): string | undefined {
  const issues = outcome?.['issue'];
  const first: unknown = Array.isArray(issues) ? issues[0] : undefined;
  return isRecord(first) && typeof first['diagnostics'] === 'string' ? first['diagnostics'] : undefined;
}
