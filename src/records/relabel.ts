import { sql } from 'kysely';
import { isCustodiaError } from '../core/index.js';
import { applyLabels, labelResource, type GradingScheme } from '../classify/index.js';
import type { FhirResource } from '../fhir/index.js';
import { insertRows } from '../store/index.js';
import { searchRows } from './index-rows.js';
import { toStored, type Records } from './records.js';
import { CURRENT_COLUMNS, SEARCH_COLUMNS } from './tables.js';

export interface RelabelOptions {
  /** Visit every current version, not only those whose stored grade is of another scheme. */
  all?: boolean;
  /** Resources per transaction; default 500. */
  batchSize?: number;
  /** After each committed batch, with the `Type/id` references relabelled in it (for the ledger). */
  onBatch?: (resources: string[]) => Promise<void>;
  onProgress?: (p: { scanned: number; relabelled: number }) => void;
  /** Stops between batches (at shutdown); what is done stays done, a later pass does the rest. */
  signal?: AbortSignal;
}

export interface RelabelResult {
  scanned: number;
  relabelled: number;
  unchanged: number;
  skipped: number;
  erased: number;
  failed: string[];
  batches: number;
}

const MAX_FAILED = 100;

/**
 * Relabels the stored resources under `scheme`: each current version is opened, labelled afresh
 * (`meta.security` and grade; codings a person set by hand are kept), resealed under the same
 * data key and version, and its `_security` search rows are replaced, one transaction per batch.
 * The version stays: in FHIR, security labels are metadata (`$meta-add` does not make a version).
 *
 * Without `all`, only resources whose stored grade is of another scheme are visited, so a pass
 * that was interrupted resumes where it stopped. A resource written meanwhile is left alone (the
 * write labelled it, under the scheme the store uses now: switch it first with `useScheme`).
 */
export async function relabelResources(
  records: Records,
  scheme: GradingScheme,
  options: RelabelOptions = {},
): Promise<RelabelResult> {
  const batchSize = options.batchSize ?? 500;
  const prefix = `${scheme.id}:`;
  const result: RelabelResult = {
    scanned: 0,
    relabelled: 0,
    unchanged: 0,
    skipped: 0,
    erased: 0,
    failed: [],
    batches: 0,
  };
  let after: { type: string; id: string } | undefined;
  for (;;) {
    if (options.signal?.aborted) break;
    let query = records.db
      .selectFrom('rec_resource')
      .select(CURRENT_COLUMNS)
      .where('tenant_id', '=', records.tenant)
      .where('method', '!=', 'DELETE');
    if (!options.all)
      query = query.where(sql<boolean>`substr(grade, 1, ${sql.lit(prefix.length)}) <> ${prefix}`);
    if (after) {
      const { type, id } = after;
      query = query.where((eb) =>
        eb.or([eb('resource_type', '>', type), eb.and([eb('resource_type', '=', type), eb('id', '>', id)])]),
      );
    }
    const rows = await query.orderBy('resource_type').orderBy('id').limit(batchSize).execute();
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!;
    after = { type: last.resource_type, id: last.id };
    result.scanned += rows.length;

    const changed = (
      await Promise.all(
        rows.map(async (r) => {
          const stored = toStored(r);
          if (!stored.sealed) return undefined;
          let resource: FhirResource;
          try {
            resource = JSON.parse((await records.open(stored)).toString('utf8')) as FhirResource;
          } catch (e) {
            if (isCustodiaError(e) && e.code === 'gone') result.erased++;
            else if (result.failed.length < MAX_FAILED)
              result.failed.push(`${stored.resourceType}/${stored.id}`);
            return undefined;
          }
          const labels = labelResource(resource, scheme);
          const next = applyLabels(resource, labels);
          const grade = `${labels.grade.scheme}:${labels.grade.grade}`;
          if (grade === stored.grade && sameSecurity(resource, next)) {
            result.unchanged++;
            return undefined;
          }
          const sealed = await records.cipher.seal(Buffer.from(JSON.stringify(next)), {
            tenant: records.tenant,
            patient: stored.patientKey,
            resourceType: stored.resourceType,
            id: stored.id,
            version: stored.version,
          });
          // Only the `_security` rows change: index a stub that carries just the labels (cheap).
          const stub = {
            resourceType: next.resourceType,
            id: next.id,
            meta: { security: next.meta?.security },
          };
          const security = searchRows(stub as FhirResource, records.registry, records.indexer).rows.filter(
            (row) => row.param === '_security',
          );
          return { stored, grade, sealed, security };
        }),
      )
    ).filter((c) => c !== undefined);
    if (changed.length === 0) continue;

    const written: string[] = [];
    await records.db.transaction().execute(async (tx) => {
      const values: unknown[] = [];
      const idsByType = new Map<string, string[]>();
      for (const c of changed) {
        const { stored } = c;
        const updated = await tx
          .updateTable('rec_resource')
          .set({ body: c.sealed, grade: c.grade })
          .where('tenant_id', '=', records.tenant)
          .where('resource_type', '=', stored.resourceType)
          .where('id', '=', stored.id)
          .where('version', '=', stored.version)
          .where('method', '!=', 'DELETE')
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) {
          result.skipped++;
          continue;
        }
        const sameType = idsByType.get(stored.resourceType);
        if (sameType) sameType.push(stored.id);
        else idsByType.set(stored.resourceType, [stored.id]);
        for (const row of c.security)
          values.push(
            records.tenant,
            stored.resourceType,
            stored.id,
            row.param,
            row.system,
            row.value,
            row.low,
            row.high,
          );
        written.push(`${stored.resourceType}/${stored.id}`);
      }
      for (const [type, ids] of idsByType)
        await tx
          .deleteFrom('rec_search')
          .where('tenant_id', '=', records.tenant)
          .where('resource_type', '=', type)
          .where('resource_id', 'in', ids)
          .where('param', '=', '_security')
          .execute();
      await insertRows(tx, records.dialect, 'rec_search', SEARCH_COLUMNS, values);
    });
    result.relabelled += written.length;
    result.batches++;
    if (written.length > 0) await options.onBatch?.(written);
    options.onProgress?.({ scanned: result.scanned, relabelled: result.relabelled });
  }
  return result;
}

const sameSecurity = (a: FhirResource, b: FhirResource) =>
  JSON.stringify(a.meta?.security ?? []) === JSON.stringify(b.meta?.security ?? []);
