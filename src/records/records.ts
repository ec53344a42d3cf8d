import { sql, type Kysely } from 'kysely';
import {
  CustodiaError,
  badRequest,
  forbidden,
  notFound,
  systemClock,
  uuidv7,
  type Clock,
  type TenantId,
} from '../core/index.js';
import {
  PatientCipher,
  TenantIndexer,
  type KeyProvider,
  type LookupCode,
  type RewrapProgress,
  type RewrapReport,
  type StrongIdentifierKind,
} from '../crypto/index.js';
import type { GradingScheme } from '../classify/index.js';
import {
  createRegistry,
  defaultValidator,
  parseETag,
  type FhirRegistry,
  type FhirResource,
  type FhirValidator,
  type ParsedSearch,
} from '../fhir/index.js';
import { preparedQuery, type Dialect, type PreparedQuery, type Store } from '../store/index.js';
import { prepareVersion, type PrepareDeps, type PreparedVersion, type WriteContext } from './prepare.js';
import { resolveCreates, sourceIds } from './resolve.js';
import { SearchQueries } from './search-queries.js';
import { planSearch, type SearchPlan, type SearchScope } from './search-plan.js';
import {
  CURRENT_COLUMNS,
  VERSION_COLUMNS,
  type CurrentRow,
  type RecordsTables,
  type VersionFacts,
  type VersionMethod,
} from './tables.js';
import { insertNew, markDeleted, replaceCurrent, type WriteTarget } from './write.js';

export interface RecordsOptions {
  store: Store;
  tenant: TenantId;
  keys: KeyProvider;
  scheme: GradingScheme;
  clock?: Clock;
  registry?: FhirRegistry;
  validator?: FhirValidator;
  /** Shared with other users of the same data keys (erasure reaches every cache through it). */
  cipher?: PatientCipher;
}

/** A stored version as the database holds it: metadata in the clear, the body sealed. */
export interface StoredVersion extends VersionFacts {
  grade: string;
  /** Null for a deletion. */
  sealed: Uint8Array | null;
}

/** What a write did. */
export interface WriteOutcome {
  /** 201 created, 200 updated or matched an existing resource (conditional create). */
  status: 200 | 201;
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: number;
  /** The stored resource; absent when a conditional create matched (nothing was written). */
  resource?: FhirResource;
  /** The patient key of what was written (for the audit entry). */
  patientKey: string;
}

export interface DeleteOutcome {
  resourceType: string;
  id: string;
  /** The version that records the deletion; undefined when it was already deleted. */
  versionId?: string;
  patientKey: string;
}

export interface SearchResult {
  rows: StoredVersion[];
  /** Every match, when counted (`_total`) or known without counting (the last page). */
  total: number | undefined;
  /** Whether matches follow this page. */
  hasMore: boolean;
}

export interface PatientLink {
  patientId: string;
  orgId: string;
}

type VersionRow = Pick<RecordsTables['rec_version'], (typeof VERSION_COLUMNS)[number]>;

const olderVersion = (current: StoredVersion, row: VersionRow): StoredVersion =>
  toStored({ ...row, org_id: current.orgId, grade: current.grade });

/** A `rec_resource` row read with CURRENT_COLUMNS, as the version facts guard decides on. */
export const toStored = (r: CurrentRow): StoredVersion => ({
  resourceType: r.resource_type,
  id: r.id,
  version: Number(r.version),
  orgId: r.org_id,
  patientKey: r.patient_key,
  lastUpdated: Number(r.last_updated),
  method: r.method,
  grade: r.grade,
  sealed: r.body,
});

/**
 * The clinical store of one tenant: FHIR resources sealed per patient, searchable through plain
 * codes and dates and blind-indexed identifiers, versioned, and linked across institutions by
 * unified lookup codes. It decides nothing about who may see what: `guard` does, and is the only
 * caller of the reads here.
 */
export class Records {
  readonly tenant: TenantId;
  readonly registry: FhirRegistry;
  readonly validator: FhirValidator;
  readonly cipher: PatientCipher;
  readonly db: Kysely<RecordsTables>;
  readonly dialect: Dialect;
  readonly clock: Clock;
  /** The tenant's blind indexer (for the bulk writers of this module). */
  readonly indexer: TenantIndexer;
  private readonly deps: PrepareDeps;
  private readonly store: Store;
  /** The read by id behind every governed read, compiled once. */
  private readonly currentQuery: PreparedQuery<'tenant' | 'type' | 'id', CurrentRow>;
  /** The compiled SQL of recent search shapes. */
  private readonly searchQueries: SearchQueries;
  private lastNow = 0;

  private constructor(options: RecordsOptions, indexer: TenantIndexer) {
    this.tenant = options.tenant;
    this.registry = options.registry ?? recordsRegistry();
    this.validator = options.validator ?? defaultValidator();
    this.clock = options.clock ?? systemClock;
    this.db = options.store.tables<RecordsTables>();
    this.dialect = options.store.dialect;
    this.store = options.store;
    this.currentQuery = preparedQuery((slot) =>
      this.db
        .selectFrom('rec_resource')
        .select(CURRENT_COLUMNS)
        .where('tenant_id', '=', slot('tenant'))
        .where('resource_type', '=', slot('type'))
        .where('id', '=', slot('id')),
    );
    this.searchQueries = new SearchQueries(this.db);
    this.cipher =
      options.cipher ?? new PatientCipher({ store: options.store, keys: options.keys, clock: this.clock });
    this.indexer = indexer;
    this.deps = { registry: this.registry, scheme: options.scheme, cipher: this.cipher, indexer };
  }

  static async open(options: RecordsOptions): Promise<Records> {
    return new Records(options, await TenantIndexer.create(options.keys, options.tenant));
  }

  /** Where the writers of this module write: `tx` of this tenant's store. */
  writeTarget(tx: WriteTarget['tx']): WriteTarget {
    return { tx, tenant: this.tenant, dialect: this.dialect };
  }

  get scheme(): GradingScheme {
    return this.deps.scheme;
  }

  /** Labels what is written from now on under `scheme` (the tenant switched; `relabelResources` redoes the rest). */
  useScheme(scheme: GradingScheme): void {
    this.deps.scheme = scheme;
  }

  /** Planner statistics brought up to date after a bulk import (see `Store.refreshStatistics`). */
  refreshStatistics(): Promise<void> {
    return this.store.refreshStatistics();
  }

  /** Strictly increasing write times, so versions written in one millisecond still sort. */
  now(): number {
    this.lastNow = Math.max(this.clock.now(), this.lastNow + 1);
    return this.lastNow;
  }

  // Reads: metadata first, so guard can decide before anything is decrypted.

  async current(type: string, id: string): Promise<StoredVersion | undefined> {
    const { rows } = await this.currentQuery.run(this.db, { tenant: this.tenant, type, id });
    return rows[0] && toStored(rows[0]);
  }

  async version(type: string, id: string, version: number): Promise<StoredVersion | undefined> {
    const current = await this.current(type, id);
    if (!current || current.version === version) return current;
    const row = await this.olderVersions(current)
      .select(VERSION_COLUMNS)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && olderVersion(current, row);
  }

  /** A page of the versions of a resource, newest (the current one) first. */
  async history(type: string, id: string, page: { count: number; offset: number }) {
    const current = await this.current(type, id);
    if (!current) return undefined;
    const { n } = await this.olderVersions(current)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // Position 0 is the current version; older ones follow in rec_version, newest first.
    const older = await this.olderVersions(current)
      .select(VERSION_COLUMNS)
      .orderBy('version', 'desc')
      .limit(page.offset === 0 ? page.count - 1 : page.count)
      .offset(Math.max(0, page.offset - 1))
      .execute();
    const versions = [...(page.offset === 0 ? [current] : []), ...older.map((r) => olderVersion(current, r))];
    return { current, total: Number(n) + 1, versions };
  }

  private olderVersions(current: StoredVersion) {
    return this.db
      .selectFrom('rec_version')
      .where('tenant_id', '=', this.tenant)
      .where('resource_type', '=', current.resourceType)
      .where('id', '=', current.id);
  }

  async search(search: ParsedSearch, scope: SearchScope): Promise<SearchResult> {
    if (search.cursor !== undefined)
      throw badRequest('this store pages by _offset: follow the next link of a searchset', {
        path: '_cursor',
        zh: '本存储按 _offset 分页，请使用检索结果中的 next 链接',
      });
    const plan = planSearch(this.tenant, search, this.indexer, scope);
    // One row past the page tells whether another page follows, without counting every match.
    const rows = await this.searchPage(plan, search, search.count + 1);
    const hasMore = rows.length > search.count;
    if (hasMore) rows.pop();
    const knownTotal = !hasMore && (rows.length > 0 || search.offset === 0);
    const total = knownTotal
      ? search.offset + rows.length
      : search.total === 'none'
        ? undefined
        : await this.searchQueries.count(plan);
    return { rows, total, hasMore };
  }

  /**
   * Up to `limit` matches from the search's offset. In id order the rows come with their bodies in
   * one pass that stops after the page; a sorted page is chosen on ids first, then only its bodies
   * are read (sorting every match with its sealed body would read hundreds of bodies to send twenty).
   */
  private async searchPage(plan: SearchPlan, search: ParsedSearch, limit: number): Promise<StoredVersion[]> {
    if (search.sort.length === 0)
      return (await this.searchQueries.page(plan, limit, search.offset)).map(toStored);
    const ids = await this.searchQueries.pageIds(plan, search.sort, limit, search.offset);
    return this.currentOf(search.resourceType, ids);
  }

  /** The current versions of resources of one type, in the order of `ids` (deleted since: left out). */
  private async currentOf(type: string, ids: readonly string[]): Promise<StoredVersion[]> {
    if (ids.length === 0) return [];
    const found = await this.db
      .selectFrom('rec_resource')
      .select(CURRENT_COLUMNS)
      .where('tenant_id', '=', this.tenant)
      .where('resource_type', '=', type)
      .where('id', 'in', [...ids])
      .where('method', '!=', 'DELETE')
      .execute();
    const byId = new Map(found.map((r) => [r.id, toStored(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * The compartment of a patient, or of several records of one person (their resources, the
   * Patient records first), for `$everything`.
   */
  async compartment(
    patientKeys: string | readonly string[],
    scope: SearchScope,
    page: { count: number; offset: number },
  ) {
    const keys = typeof patientKeys === 'string' ? [patientKeys] : [...patientKeys];
    if (keys.length === 0) return { rows: [], total: 0 };
    let query = this.db
      .selectFrom('rec_resource')
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', 'in', keys)
      .where('method', '!=', 'DELETE');
    if (scope.orgIds !== undefined) {
      if (scope.orgIds.length === 0) return { rows: [], total: 0 };
      query = query.where('org_id', 'in', [...scope.orgIds]);
    }
    const rows = await query
      .select(CURRENT_COLUMNS)
      .orderBy(sql`case when resource_type = 'Patient' then 0 else 1 end`)
      .orderBy('resource_type')
      .orderBy('id')
      .limit(page.count)
      .offset(page.offset)
      .execute();
    const { n } = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { rows: rows.map(toStored), total: Number(n) };
  }

  /** Decrypts a stored body: its JSON bytes. 410 if the patient was erased, 500 'integrity' if altered. */
  async open(v: StoredVersion): Promise<Buffer> {
    if (!v.sealed)
      throw new CustodiaError('gone', `${v.resourceType}/${v.id} was deleted`, { zh: '资源已删除' });
    return this.cipher.open(v.sealed, {
      tenant: this.tenant,
      patient: v.patientKey,
      resourceType: v.resourceType,
      id: v.id,
      version: v.version,
    });
  }

  /** Our id of what an organization imported under the sender's id `sourceId`. */
  async sourceIdOf(orgId: string, type: string, sourceId: string): Promise<string | undefined> {
    return (await sourceIds(this.db, this.tenant, orgId, this.indexer, [{ type, sourceId }])).get(
      `${type}/${sourceId}`,
    );
  }

  // The patient index.

  /** The unified lookup code of a strong identifier (never stored or logged in the clear). */
  lookupCode(kind: StrongIdentifierKind, value: string): LookupCode {
    return this.indexer.lookupCode(kind, value);
  }

  async linkedPatients(code: string): Promise<PatientLink[]> {
    const rows = await this.db
      .selectFrom('rec_patient_link')
      .select(['patient_id', 'org_id'])
      .where('tenant_id', '=', this.tenant)
      .where('lookup_code', '=', code)
      .orderBy('linked_at')
      .execute();
    return rows.map((r) => ({ patientId: r.patient_id, orgId: r.org_id }));
  }

  async lookupCodesOf(patientId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('rec_patient_link')
      .select('lookup_code')
      .where('tenant_id', '=', this.tenant)
      .where('patient_id', '=', patientId)
      .execute();
    return rows.map((r) => r.lookup_code);
  }

  // Single-resource writes (POST /Type, PUT /Type/id, DELETE /Type/id).

  validate(body: unknown, expectedType: string, expectedId?: string): FhirResource {
    const result = this.validator.validate(body, {
      expectedType,
      ...(expectedId === undefined ? {} : { expectedId }),
    });
    if (!result.valid) throw this.validator.error(result.issues);
    return result.resource;
  }

  async create(
    ctx: WriteContext,
    type: string,
    body: unknown,
    ifNoneExist?: ParsedSearch,
  ): Promise<WriteOutcome> {
    const resource = this.validate(body, type);
    const sourceId = resource.id;
    if (ifNoneExist) {
      const matched = await resolveCreates(this.db, this.tenant, ctx.orgId, this.indexer, [
        { index: 0, resourceType: type, condition: { kind: 'search', search: ifNoneExist } },
      ]);
      const id = matched.get(0);
      if (id !== undefined) return this.matchedOutcome(type, id);
    }
    resource.id = uuidv7();
    const prepared = await prepareVersion(this.deps, ctx, resource, 1, this.now(), 'POST', sourceId);
    // One transaction: a resource is never stored without its search rows.
    await this.db.transaction().execute((tx) => insertNew(this.writeTarget(tx), [prepared]));
    return written(prepared, 201);
  }

  async update(
    ctx: WriteContext,
    type: string,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<WriteOutcome> {
    const resource = this.validate(body, type, id);
    // Ids are the server's to assign (CapabilityStatement: updateCreate false).
    const current = await this.current(type, id);
    if (!current) throw resourceNotFound(type, id);
    assertOwner(ctx, current);
    checkIfMatch(type, id, current, ifMatch);
    const prepared = await prepareVersion(this.deps, ctx, resource, current.version + 1, this.now(), 'PUT');
    await this.db
      .transaction()
      .execute((tx) => replaceCurrent(this.writeTarget(tx), prepared, current.version));
    return written(prepared, current.method === 'DELETE' ? 201 : 200);
  }

  async delete(ctx: WriteContext, type: string, id: string, ifMatch?: string): Promise<DeleteOutcome> {
    const current = await this.current(type, id);
    if (!current) throw resourceNotFound(type, id);
    assertOwner(ctx, current);
    checkIfMatch(type, id, current, ifMatch);
    if (current.method === 'DELETE') return { resourceType: type, id, patientKey: current.patientKey };
    const now = this.now();
    await this.db
      .transaction()
      .execute((tx) => markDeleted(this.writeTarget(tx), type, id, current.version, now));
    return { resourceType: type, id, versionId: String(current.version + 1), patientKey: current.patientKey };
  }

  /** Prepares a version for a bulk writer (bundles, imports) that writes it itself. */
  prepare(
    ctx: WriteContext,
    resource: FhirResource,
    version: number,
    method: VersionMethod,
    sourceId?: string,
  ): Promise<PreparedVersion> {
    return prepareVersion(this.deps, ctx, resource, version, this.now(), method, sourceId);
  }

  // Keys.

  /**
   * Crypto-shredding: destroys the patient's data key, so every version of every resource sealed
   * under it (in this database and in every backup) can no longer be opened. Reads then answer 410.
   */
  async erasePatient(patientId: string): Promise<{ destroyedKeys: number; resources: number }> {
    const patient = await this.current('Patient', patientId);
    if (!patient) throw resourceNotFound('Patient', patientId);
    const { destroyed } = await this.cipher.destroyPatientKey(this.tenant, patientId);
    const { n } = await this.db
      .selectFrom('rec_resource')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patientId)
      .executeTakeFirstOrThrow();
    return { destroyedKeys: destroyed, resources: Number(n) };
  }

  /** `keys rotate`: a new tenant key version, every data key re-wrapped under it, online. */
  rotateKeys(onProgress?: (p: RewrapProgress) => void): Promise<RewrapReport> {
    return this.cipher.rewrapAll(this.tenant, onProgress);
  }

  private async matchedOutcome(type: string, id: string): Promise<WriteOutcome> {
    const current = await this.current(type, id);
    if (!current) throw resourceNotFound(type, id);
    return {
      status: 200,
      resourceType: type,
      id,
      versionId: String(current.version),
      lastUpdated: current.lastUpdated,
      patientKey: current.patientKey,
    };
  }
}

export const written = (p: PreparedVersion, status: 200 | 201): WriteOutcome => ({
  status,
  resourceType: p.resourceType,
  id: p.id,
  versionId: String(p.version),
  lastUpdated: p.lastUpdated,
  resource: p.resource,
  patientKey: p.patientKey,
});

export const resourceNotFound = (type: string, id: string) =>
  notFound(`${type}/${id} is not known`, {
    zh: `未找到 ${type}/${id}`,
    hint: 'check the type and id; new resources are created with POST and get their id from the server',
  });

/** Only the organization that wrote a resource changes it: another's record is not ours to overwrite. */
export function assertOwner(ctx: WriteContext, current: StoredVersion): void {
  if (current.orgId !== ctx.orgId)
    throw forbidden(`${current.resourceType}/${current.id} belongs to another organization`, {
      zh: `${current.resourceType}/${current.id} 属于其他机构，不能修改`,
      hint: 'create your own resource instead, or ask the owning organization',
    });
}

export function checkIfMatch(
  type: string,
  id: string,
  current: StoredVersion | undefined,
  ifMatch?: string,
): void {
  if (ifMatch === undefined) return;
  const wanted = parseETag(ifMatch);
  if (wanted === undefined)
    throw badRequest('If-Match must be an ETag such as W/"3"', { zh: 'If-Match 须为 W/"3" 形式的 ETag' });
  if (!current || String(current.version) !== wanted)
    throw new CustodiaError(
      'precondition-failed',
      `${type}/${id} is at version ${current?.version ?? 'none'}, not ${wanted}`,
      {
        zh: `${type}/${id} 当前版本为 ${current?.version ?? '无'}，不是 ${wanted}`,
        hint: 'read the resource again and resend your change based on its current version',
      },
    );
}

let registry: FhirRegistry | undefined;

/** What the store implements, and so what the CapabilityStatement publishes: no type-level history, no patch. */
export function recordsRegistry(): FhirRegistry {
  registry ??= createRegistry({
    interactions: ['read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type'],
  });
  return registry;
}
