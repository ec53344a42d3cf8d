import type { CustodiaError } from '../core/index.js';
import { badRequest, forbidden, isCustodiaError, uuidv7 } from '../core/index.js';
import {
  collectReferences,
  identifierCondition,
  isRecord,
  readBundleEntries,
  readNdjson,
  type FhirResource,
} from '../fhir/index.js';
import { executeBundle, type BundleChange } from './bundle.js';
import type { PreparedVersion, WriteContext } from './prepare.js';
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
/** Resources per database transaction during an NDJSON import. */
export const IMPORT_CHUNK = 1000;

type Source = AsyncIterable<Uint8Array | string>;

/**
 * Imports FHIR NDJSON (Bulk Data style, one resource per line) with flat memory: lines are read
 * one at a time and written in chunks of IMPORT_CHUNK resources per transaction. Each resource
 * gets a new id; the id the sender gave it is kept as its source id, so references between the
 * sender's resources (`Patient/<their id>`) are rewritten to ours, and a re-import matches what
 * is there (by source id or identifier) and creates nothing. A bad line is reported and skipped.
 */
export async function importNdjson(
  records: Records,
  ctx: WriteContext,
  source: Source,
  name: string,
  onChunk?: (result: ImportResult) => void | Promise<void>,
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, matched: 0, failed: 0, problems: [], changes: [] };
  let chunk: { line: number; resource: FhirResource }[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await importChunk(records, ctx, chunk, name, result);
    chunk = [];
    await onChunk?.(result);
    result.changes = [];
  };
  for await (const item of readNdjson(source)) {
    if ('error' in item) problem(result, `${name}:${item.line}`, item.error);
    else {
      chunk.push(item);
      if (chunk.length >= IMPORT_CHUNK) await flush();
    }
  }
  await flush();
  return result;
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
  return result;
}

async function importChunk(
  records: Records,
  ctx: WriteContext,
  items: { line: number; resource: FhirResource }[],
  name: string,
  result: ImportResult,
): Promise<void> {
  const valid: { line: number; resource: FhirResource; sourceId: string | undefined; index: number }[] = [];
  for (const item of items) {
    const checked = records.validator.validate(item.resource);
    if (!checked.valid) problem(result, `${name}:${item.line}`, records.validator.error(checked.issues));
    else
      valid.push({ ...item, resource: checked.resource, sourceId: checked.resource.id, index: valid.length });
  }
  const matched = await resolveCreates(
    records.db,
    records.tenant,
    ctx.orgId,
    records.indexer,
    valid.map((v) => ({
      index: v.index,
      resourceType: v.resource.resourceType,
      sourceId: v.sourceId,
      condition: identifierCondition(v.resource, records.registry),
    })),
  );
  result.matched += matched.size;

  // The sender's ids → ours: this chunk's new resources, then earlier imports of the organization.
  const ours = new Map<string, string>();
  const fresh = valid.filter((v) => !matched.has(v.index));
  for (const v of valid) {
    const id = matched.get(v.index) ?? uuidv7();
    if (v.sourceId !== undefined) ours.set(`${v.resource.resourceType}/${v.sourceId}`, id);
    v.resource.id = id;
  }
  const slots = fresh.flatMap((v) => collectReferences(v.resource).map((slot) => ({ v, slot })));
  const unknown = [
    ...new Set(slots.map((s) => s.slot.reference).filter((r) => LOCAL.test(r) && !ours.has(r))),
  ];
  const earlier = await sourceIds(
    records.db,
    records.tenant,
    ctx.orgId,
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
  const broken = new Set<number>();
  for (const { v, slot } of slots) {
    const target = ours.get(slot.reference);
    if (target !== undefined)
      slot.holder['reference'] = `${slot.reference.slice(0, slot.reference.indexOf('/'))}/${target}`;
    else if (missing.has(slot.reference) && !broken.has(v.index)) {
      broken.add(v.index);
      problem(
        result,
        `${name}:${v.line}`,
        badRequest(`refers to ${slot.reference}, which was not imported`, {
          zh: `引用的 ${slot.reference} 尚未导入`,
          hint: 'import the referenced resources first (e.g. Patient before Observation)',
        }),
      );
    }
  }

  const prepared: PreparedVersion[] = [];
  for (const v of fresh) {
    if (broken.has(v.index)) continue;
    try {
      prepared.push(await records.prepare(ctx, v.resource, 1, 'POST', v.sourceId));
    } catch (e) {
      if (!isCustodiaError(e)) throw e;
      problem(result, `${name}:${v.line}`, e);
    }
  }
  await records.db.transaction().execute((tx) => insertNew(tx, records.tenant, prepared));
  result.created += prepared.length;
  for (const p of prepared)
    result.changes.push({
      operation: 'create',
      reference: `${p.resourceType}/${p.id}`,
      patientKey: p.patientKey,
    });
}

const LOCAL = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/;

function problem(result: ImportResult, where: string, error: CustodiaError, count = 1): void {
  result.failed += count;
  if (result.problems.length < MAX_PROBLEMS) result.problems.push({ where, message: error.message });
}

function firstDiagnostics(outcome: FhirResource | undefined): string | undefined {
  const issues = outcome?.['issue'];
  const first: unknown = Array.isArray(issues) ? issues[0] : undefined;
  return isRecord(first) && typeof first['diagnostics'] === 'string' ? first['diagnostics'] : undefined;
}
