import { sql, type Kysely, type Transaction } from 'kysely';
import { conflict, type TenantId } from '../core/index.js';
import { insertRows, type Dialect } from '../store/index.js';
import { chunks } from './chunks.js';
import type { PreparedVersion } from './prepare.js';
import { SEARCH_COLUMNS, VERSION_COLUMNS, type RecordsTables } from './tables.js';

type Tx = Transaction<RecordsTables> | Kysely<RecordsTables>;

/** Where a write goes: a transaction (or the database) of a tenant, and its SQL dialect. */
export interface WriteTarget {
  tx: Tx;
  tenant: TenantId;
  dialect: Dialect;
}

const resourceRow = (tenant: TenantId, v: PreparedVersion) => ({
  tenant_id: tenant,
  resource_type: v.resourceType,
  id: v.id,
  version: v.version,
  org_id: v.orgId,
  patient_key: v.patientKey,
  last_updated: v.lastUpdated,
  method: v.method,
  sort_date: v.sortDate,
  grade: v.grade,
  source_id: v.sourceId,
  body: v.sealed,
});

const RESOURCE_COLUMNS = Object.keys(resourceRow('' as TenantId, {} as PreparedVersion));

/**
 * Inserts new resources (version 1) with their search rows and patient-index links. Rows go in as
 * flat value arrays through plain multi-row statements: an import writes tens of thousands of rows
 * a second, and building them with the query builder would cost more than writing them.
 */
export async function insertNew(target: WriteTarget, versions: readonly PreparedVersion[]): Promise<void> {
  const { tx, tenant, dialect } = target;
  const values: unknown[] = [];
  for (const v of versions)
    values.push(
      tenant,
      v.resourceType,
      v.id,
      v.version,
      v.orgId,
      v.patientKey,
      v.lastUpdated,
      v.method,
      v.sortDate,
      v.grade,
      v.sourceId,
      v.sealed,
    );
  await insertRows(tx, dialect, 'rec_resource', RESOURCE_COLUMNS, values);
  await insertIndex(target, versions);
}

/**
 * Replaces the current version by `next` if the stored version is still `expected` (optimistic
 * concurrency: someone else's write in between is a 409, never a lost update). The replaced
 * version moves to `rec_version`.
 */
export async function replaceCurrent(
  target: WriteTarget,
  next: PreparedVersion,
  expected: number,
): Promise<void> {
  const { tx, tenant } = target;
  await archiveCurrent(tx, tenant, next.resourceType, next.id, expected);
  const { sourceId: _keep, ...changed } = next;
  const row = resourceRow(tenant, { ...changed, sourceId: null });
  const { source_id: _source, tenant_id: _t, resource_type: _r, id: _i, ...set } = row;
  const result = await tx
    .updateTable('rec_resource')
    .set(set)
    .where('tenant_id', '=', tenant)
    .where('resource_type', '=', next.resourceType)
    .where('id', '=', next.id)
    .where('version', '=', expected)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw concurrentChange(next.resourceType, next.id);
  await clearIndex(tx, tenant, next.resourceType, next.id);
  await insertIndex(target, [next]);
}

/** Deletes a resource: a new version without a body, the old one kept in history. */
export async function markDeleted(
  { tx, tenant }: WriteTarget,
  type: string,
  id: string,
  expected: number,
  now: number,
): Promise<void> {
  await archiveCurrent(tx, tenant, type, id, expected);
  const result = await tx
    .updateTable('rec_resource')
    .set({ version: expected + 1, method: 'DELETE', last_updated: now, body: null, sort_date: null })
    .where('tenant_id', '=', tenant)
    .where('resource_type', '=', type)
    .where('id', '=', id)
    .where('version', '=', expected)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw concurrentChange(type, id);
  await clearIndex(tx, tenant, type, id);
}

async function archiveCurrent(tx: Tx, tenant: TenantId, type: string, id: string, version: number) {
  await tx
    .insertInto('rec_version')
    .columns(['tenant_id', ...VERSION_COLUMNS])
    .expression((eb) =>
      eb
        .selectFrom('rec_resource')
        .select(['tenant_id', ...VERSION_COLUMNS])
        .where('tenant_id', '=', tenant)
        .where('resource_type', '=', type)
        .where('id', '=', id)
        .where('version', '=', version),
    )
    .execute();
}

async function insertIndex({ tx, tenant, dialect }: WriteTarget, versions: readonly PreparedVersion[]) {
  const rows: unknown[] = [];
  for (const { v, r } of inIndexOrder(versions))
    rows.push(tenant, v.resourceType, v.id, r.param, r.system, r.value, r.low, r.high);
  await insertRows(tx, dialect, 'rec_search', SEARCH_COLUMNS, rows);
  const links = versions.flatMap((v) =>
    v.lookupCodes.map((code) => ({
      tenant_id: tenant,
      lookup_code: code,
      patient_id: v.id,
      org_id: v.orgId,
      linked_at: v.lastUpdated,
    })),
  );
  for (const part of chunks(links))
    await tx
      .insertInto('rec_patient_link')
      .values(part)
      .onConflict((oc) => oc.columns(['tenant_id', 'lookup_code', 'patient_id']).doNothing())
      .execute();
}

/**
 * Search rows in the order of the value index (type, param, value, system, then date): a bulk
 * write then fills index pages one after another instead of touching a random page per row, which
 * is what an import spends most of its database time on.
 */
function inIndexOrder(versions: readonly PreparedVersion[]) {
  const all = versions.flatMap((v) => v.rows.map((r) => ({ v, r })));
  if (versions.length < 2) return all;
  return all.sort(
    (a, b) =>
      compare(a.v.resourceType, b.v.resourceType) ||
      compare(a.r.param, b.r.param) ||
      compare(a.r.value, b.r.value) ||
      compare(a.r.system, b.r.system) ||
      (a.r.low ?? 0) - (b.r.low ?? 0),
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function clearIndex(tx: Tx, tenant: TenantId, type: string, id: string) {
  await tx
    .deleteFrom('rec_search')
    .where('tenant_id', '=', tenant)
    .where('resource_type', '=', type)
    .where('resource_id', '=', id)
    .execute();
  if (type === 'Patient')
    await tx
      .deleteFrom('rec_patient_link')
      .where('tenant_id', '=', tenant)
      .where('patient_id', '=', id)
      .execute();
}

const concurrentChange = (type: string, id: string) =>
  conflict(`${type}/${id} was changed by another request meanwhile`, {
    zh: `${type}/${id} 已被另一请求同时修改`,
    hint: 'read it again and resend your change based on the new version',
  });

/** For tests and tooling: the raw count of rows in a records table of a tenant. */
export async function countRows(db: Tx, tenant: TenantId, table: keyof RecordsTables): Promise<number> {
  const { n } = await db
    .selectFrom(table)
    .select(sql<number>`count(*)`.as('n'))
    .where('tenant_id', '=', tenant)
    .executeTakeFirstOrThrow();
  return Number(n);
}
