import { badRequest, isCustodiaError, uuidv7 } from '../core/index.js';
import {
  bindPlan,
  bundleResponse,
  outcomeFromError,
  planBundle,
  type Bundle,
  type BoundEntry,
  type EntryResult,
  type PlannedEntry,
} from '../fhir/index.js';
import type { PreparedVersion, WriteContext } from './prepare.js';
import { assertOwner, checkIfMatch, resourceNotFound, type Records, type StoredVersion } from './records.js';
import { missingResources, resolveCreates, searchOne } from './resolve.js';
import { insertNew, markDeleted, replaceCurrent, type WriteTarget } from './write.js';

/** A GET entry of a batch or transaction: answered by the caller's guarded read path. */
export type ReadEntry = Extract<PlannedEntry, { op: 'read' | 'search' }>;
export type EntryReader = (entry: ReadEntry) => Promise<EntryResult>;

/** One change a Bundle made, for the audit trail. */
export interface BundleChange {
  operation: 'create' | 'update' | 'delete';
  reference: string;
  patientKey: string;
}

export interface BundleOptions {
  baseUrl: string;
  maxEntries?: number;
  reader: EntryReader;
}

type Write =
  | { op: 'create'; index: number; prepared: PreparedVersion }
  | { op: 'update'; index: number; prepared: PreparedVersion; current: StoredVersion }
  | { op: 'delete'; index: number; current: StoredVersion; now: number }
  | { op: 'noop-delete'; index: number; current: StoredVersion };

/**
 * Runs a transaction or batch Bundle. A transaction is all or nothing: every entry is checked,
 * resolved and sealed first, then all writes commit in one database transaction, and any failure
 * leaves nothing written. A batch runs each entry on its own and reports each outcome.
 */
export async function executeBundle(
  records: Records,
  ctx: WriteContext,
  body: unknown,
  options: BundleOptions,
): Promise<{ response: Bundle; changes: BundleChange[] }> {
  const plan = planBundle(body, {
    registry: records.registry,
    validator: records.validator,
    baseUrl: options.baseUrl,
    newId: () => uuidv7(),
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
  });
  const transaction = plan.kind === 'transaction';
  const results: EntryResult[] = new Array<EntryResult>(plan.size);
  const fail = (index: number, error: unknown) => {
    if (transaction || !isCustodiaError(error)) throw error;
    results[index] = { status: error.status, outcome: outcomeFromError(error).outcome };
  };
  const db = records.db;
  const indexer = records.indexer;

  const matched = await resolveCreates(
    db,
    records.tenant,
    ctx.orgId,
    indexer,
    plan.entries.flatMap((e) =>
      e.op === 'create'
        ? [{ index: e.index, resourceType: e.resourceType, sourceId: e.sourceId, condition: e.condition }]
        : [],
    ),
  );
  const conditionalReferences = new Map<string, string>();
  for (const c of plan.conditionalReferences) {
    const id = await searchOne(db, records.tenant, ctx.orgId, indexer, c.search);
    if (id !== undefined) conditionalReferences.set(c.reference, id);
  }
  const missing = new Set(await missingResources(db, records.tenant, plan.externalReferences));
  for (const entry of plan.entries) {
    if (entry.op !== 'create' && entry.op !== 'update') continue;
    const dangling = entry.references.find((slot) => missing.has(slot.reference));
    if (dangling) {
      const error = badRequest(
        `Bundle.entry[${entry.index}].resource refers to ${dangling.reference}, which does not exist`,
        {
          zh: `Bundle.entry[${entry.index}].resource 引用的 ${dangling.reference} 不存在`,
          path: `Bundle.entry[${entry.index}].resource`,
          hint: transaction
            ? 'Nothing was written. Create the referenced resource first, or include it in the transaction'
            : 'Create the referenced resource first',
        },
      );
      fail(entry.index, error); // throws for a transaction; for a batch, the entry is answered
    }
  }
  const bound = bindPlan(
    { ...plan, entries: plan.entries.filter((e) => results[e.index] === undefined) },
    { matched, conditionalReferences },
  );

  const writes: Write[] = [];
  for (const entry of bound.entries) {
    try {
      const write = await prepareEntry(records, ctx, entry);
      if (write) writes.push(write);
      else if (entry.op === 'matched') {
        const current = await records.current(entry.resourceType, entry.id);
        results[entry.index] = {
          status: 200,
          resourceType: entry.resourceType,
          id: entry.id,
          ...(current ? { versionId: String(current.version), lastModified: current.lastUpdated } : {}),
        };
      } else if (entry.op === 'failed') fail(entry.index, entry.error);
    } catch (e) {
      fail(entry.index, e);
    }
  }

  const changes: BundleChange[] = [];
  if (transaction) {
    await db.transaction().execute(async (tx) => {
      const creates = writes.flatMap((w) => (w.op === 'create' ? [w.prepared] : []));
      const target = records.writeTarget(tx);
      await insertNew(target, creates);
      for (const w of writes) await applyWrite(target, w);
    });
    for (const w of writes) recordResult(results, changes, w);
  } else {
    for (const w of writes) {
      try {
        await db.transaction().execute(async (tx) => {
          const target = records.writeTarget(tx);
          if (w.op === 'create') await insertNew(target, [w.prepared]);
          else await applyWrite(target, w);
        });
        recordResult(results, changes, w);
      } catch (e) {
        fail(w.index, e);
      }
    }
  }

  for (const entry of bound.entries) {
    if (entry.op !== 'read' && entry.op !== 'search') continue;
    try {
      results[entry.index] = await options.reader(entry);
    } catch (e) {
      fail(entry.index, e);
    }
  }
  return { response: bundleResponse(plan.kind, results, options.baseUrl, records.clock.now()), changes };
}

async function prepareEntry(
  records: Records,
  ctx: WriteContext,
  entry: BoundEntry,
): Promise<Write | undefined> {
  switch (entry.op) {
    case 'create':
      return {
        op: 'create',
        index: entry.index,
        prepared: await records.prepare(ctx, entry.resource, 1, 'POST', entry.sourceId),
      };
    case 'update': {
      const current = await records.current(entry.resourceType, entry.id);
      if (!current) throw resourceNotFound(entry.resourceType, entry.id);
      assertOwner(ctx, current);
      checkIfMatch(
        entry.resourceType,
        entry.id,
        current,
        entry.ifMatch === undefined ? undefined : `W/"${entry.ifMatch}"`,
      );
      const version = current.version + 1;
      return {
        op: 'update',
        index: entry.index,
        current,
        prepared: await records.prepare(ctx, entry.resource, version, 'PUT'),
      };
    }
    case 'delete': {
      const current = await records.current(entry.resourceType, entry.id);
      if (!current) throw resourceNotFound(entry.resourceType, entry.id);
      assertOwner(ctx, current);
      if (current.method === 'DELETE') return { op: 'noop-delete', index: entry.index, current };
      return { op: 'delete', index: entry.index, current, now: records.now() };
    }
    default:
      return undefined;
  }
}

async function applyWrite(target: WriteTarget, w: Write): Promise<void> {
  if (w.op === 'update') {
    await replaceCurrent(target, w.prepared, w.current.version);
  } else if (w.op === 'delete') {
    await markDeleted(target, w.current.resourceType, w.current.id, w.current.version, w.now);
  }
}

function recordResult(results: EntryResult[], changes: BundleChange[], w: Write): void {
  if (w.op === 'create' || w.op === 'update') {
    const p = w.prepared;
    const created = w.op === 'create' || w.current.method === 'DELETE';
    results[w.index] = {
      status: created ? 201 : 200,
      resourceType: p.resourceType,
      id: p.id,
      versionId: String(p.version),
      lastModified: p.lastUpdated,
    };
    changes.push({ operation: w.op, reference: `${p.resourceType}/${p.id}`, patientKey: p.patientKey });
  } else {
    const { current } = w;
    results[w.index] = { status: 204 };
    if (w.op === 'delete')
      changes.push({
        operation: 'delete',
        reference: `${current.resourceType}/${current.id}`,
        patientKey: current.patientKey,
      });
  }
}
