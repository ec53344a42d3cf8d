import { sql, type Kysely, type Transaction } from 'kysely';
import { badRequest, conflict, notFound, systemClock, uuidv7, type Clock } from '../core/index.js';
import {
  compareGrades,
  getGrade,
  getScheme,
  IDENTIFIER_TYPES,
  type DiscoveryReport,
  type GradeRef,
} from '../classify/index.js';
import type { Store } from '../store/index.js';
import type {
  Asset,
  AssetInput,
  AssetPatch,
  AssetVersion,
  ChangeAction,
  FieldDecision,
  FieldDecisionInput,
  FieldSpec,
  LineageEdge,
  LineageNode,
} from './model.js';
import { buildInventory, inventoryCsv, type Inventory } from './inventory.js';
import { assetFromRow, diff, fromJson, toJson } from './rows.js';
import type { CatalogTables } from './tables.js';
import { checkSensitivity, validateInput, validatePatch } from './validate.js';

type Db = Kysely<CatalogTables> | Transaction<CatalogTables>;

export const DEFAULT_SCHEME = 'seed-3-grade';
const MAX_LINEAGE_DEPTH = 50;

export interface CatalogOptions {
  store: Store;
  clock?: Clock;
  /** The scheme of a tenant that has not chosen one (the configured `gradingScheme`); default `seed-3-grade`. */
  defaultScheme?: string;
}

/**
 * The data asset catalog (数据资产台账): assets with the ledger's dimensions, a field-level schema
 * with grades, lineage, a versioned change history and steward decisions on discovery proposals.
 */
export class Catalog {
  private readonly db: Kysely<CatalogTables>;
  private readonly clock: Clock;
  private readonly defaultScheme: string;

  constructor({ store, clock = systemClock, defaultScheme = DEFAULT_SCHEME }: CatalogOptions) {
    this.db = store.tables<CatalogTables>();
    this.clock = clock;
    this.defaultScheme = defaultScheme;
  }

  // ---- tenant scheme ---------------------------------------------------------------------------

  /** The grading scheme a tenant has chosen, or the default scheme when it has chosen none. */
  async tenantScheme(tenant: string): Promise<string> {
    return (await this.storedScheme(tenant))?.scheme ?? this.defaultScheme;
  }

  /** The tenant's recorded choice of scheme, with who made it and when; undefined when none was made. */
  async storedScheme(
    tenant: string,
  ): Promise<{ scheme: string; updatedAt: number; updatedBy: string } | undefined> {
    const row = await this.db
      .selectFrom('catalog_tenant_scheme')
      .select(['scheme_id', 'updated_at', 'updated_by'])
      .where('tenant_id', '=', tenant)
      .executeTakeFirst();
    return row && { scheme: row.scheme_id, updatedAt: Number(row.updated_at), updatedBy: row.updated_by };
  }

  /** Chooses a tenant's scheme. Callers then relabel stored resources (`classify.relabel`). */
  async setTenantScheme(tenant: string, schemeId: string, actor: string): Promise<void> {
    getScheme(schemeId);
    const now = this.clock.now();
    await this.db
      .insertInto('catalog_tenant_scheme')
      .values({ tenant_id: tenant, scheme_id: schemeId, updated_at: now, updated_by: actor })
      .onConflict((oc) =>
        oc.column('tenant_id').doUpdateSet({ scheme_id: schemeId, updated_at: now, updated_by: actor }),
      )
      .execute();
  }

  // ---- assets ----------------------------------------------------------------------------------

  async registerAsset(tenant: string, input: AssetInput, actor: string): Promise<Asset> {
    validateInput(input);
    const now = this.clock.now();
    const asset: Asset = {
      id: uuidv7(now),
      tenant,
      kind: input.kind,
      naturalKey: input.naturalKey ?? null,
      name: input.name.trim(),
      description: input.description ?? '',
      source: input.source.trim(),
      purpose: input.purpose.trim(),
      storageLocation: input.storageLocation.trim(),
      volume: { count: input.volume?.count ?? 0, unit: input.volume?.unit ?? 'records' },
      updateFrequency: input.updateFrequency,
      responsiblePerson: input.responsiblePerson.trim(),
      sensitivity: input.sensitivity ?? null,
      fields: input.fields ?? [],
      gradeCounts: {},
      status: 'active',
      version: 1,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
    };
    await this.db.transaction().execute(async (tx) => {
      if (asset.naturalKey) {
        const existing = await tx
          .selectFrom('catalog_asset')
          .select('id')
          .where('tenant_id', '=', tenant)
          .where('natural_key', '=', asset.naturalKey)
          .executeTakeFirst();
        if (existing)
          throw conflict(`an asset with key ${asset.naturalKey} already exists (${existing.id})`, {
            zh: `键为 ${asset.naturalKey} 的资产已存在`,
            hint: 'update that asset instead',
          });
      }
      await this.insertAsset(tx, asset);
      await this.insertVersion(tx, asset, 'create', diff(emptyLike(asset), asset), actor, now);
    });
    return asset;
  }

  async getAsset(tenant: string, id: string): Promise<Asset> {
    const row = await this.db
      .selectFrom('catalog_asset')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row)
      throw notFound(`no asset ${id} in the catalog`, {
        zh: `数据资产台账中没有资产 ${id}`,
        hint: 'list assets to find its id',
      });
    return assetFromRow(row);
  }

  async findByKey(tenant: string, naturalKey: string): Promise<Asset | undefined> {
    const row = await this.db
      .selectFrom('catalog_asset')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('natural_key', '=', naturalKey)
      .executeTakeFirst();
    return row ? assetFromRow(row) : undefined;
  }

  async listAssets(
    tenant: string,
    filter: { kind?: string; status?: 'active' | 'retired'; grade?: string } = {},
  ): Promise<Asset[]> {
    let q = this.db.selectFrom('catalog_asset').selectAll().where('tenant_id', '=', tenant);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.grade) q = q.where('sensitivity_grade', '=', filter.grade);
    return (await q.orderBy('name').orderBy('id').execute()).map(assetFromRow);
  }

  /**
   * Changes an asset's dimensions. With `expectedVersion`, refuses (409) when someone else changed
   * it first. Every change is a new version in the history.
   */
  async updateAsset(
    tenant: string,
    id: string,
    patch: AssetPatch,
    actor: string,
    expectedVersion?: number,
  ): Promise<Asset> {
    validatePatch(patch);
    return this.mutate(
      tenant,
      id,
      actor,
      patch.status === 'retired' ? 'retire' : 'update',
      expectedVersion,
      (a) => ({
        ...a,
        ...definedOnly({
          name: patch.name?.trim(),
          description: patch.description,
          source: patch.source?.trim(),
          purpose: patch.purpose?.trim(),
          storageLocation: patch.storageLocation?.trim(),
          updateFrequency: patch.updateFrequency,
          responsiblePerson: patch.responsiblePerson?.trim(),
          fields: patch.fields,
          status: patch.status,
        }),
        volume: patch.volume
          ? { count: patch.volume.count, unit: patch.volume.unit ?? a.volume.unit }
          : a.volume,
        sensitivity: patch.sensitivity === undefined ? a.sensitivity : patch.sensitivity,
      }),
    );
  }

  async history(tenant: string, id: string): Promise<AssetVersion[]> {
    await this.getAsset(tenant, id);
    const rows = await this.db
      .selectFrom('catalog_asset_version')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('asset_id', '=', id)
      .orderBy('version')
      .execute();
    return rows.map((r) => ({
      assetId: r.asset_id,
      version: Number(r.version),
      action: r.action as ChangeAction,
      changedAt: Number(r.changed_at),
      changedBy: r.changed_by,
      changes: fromJson(r.changes),
    }));
  }

  // ---- self-registering FHIR collections --------------------------------------------------------

  /**
   * Keeps the asset of one FHIR resource type current: `count` is the collection's total now,
   * `grades` the number of its resources per grade of the tenant's scheme. Creates the asset on
   * first call. The asset's sensitivity is the highest grade that has any resources.
   */
  async upsertCollectionVolume(
    tenant: string,
    resourceType: string,
    count: number,
    grades: Record<string, number>,
    actor = 'system:records',
  ): Promise<Asset> {
    if (!Number.isSafeInteger(count) || count < 0)
      throw badRequest('collection count must be a non-negative integer', { zh: '资源数量必须为非负整数' });
    const schemeId = await this.tenantScheme(tenant);
    const scheme = getScheme(schemeId);
    for (const g of Object.keys(grades)) getGrade(scheme, g);
    const present = Object.entries(grades)
      .filter(([, n]) => n > 0)
      .map(([g]) => g);
    const highest = present.sort((a, b) => compareGrades(scheme, b, a))[0];
    const sensitivity: GradeRef | null = highest ? { scheme: schemeId, grade: highest } : null;
    const key = `fhir:${resourceType}`;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.findByKey(tenant, key);
      if (existing)
        return this.mutate(tenant, existing.id, actor, 'volume', undefined, (a) => ({
          ...a,
          volume: { count, unit: 'resources' },
          gradeCounts: { ...grades },
          sensitivity,
        }));
      try {
        return await this.registerAsset(
          tenant,
          {
            kind: 'fhir-collection',
            naturalKey: key,
            name: `FHIR ${resourceType}`,
            description: `FHIR R4 ${resourceType} resources in the clinical store`,
            source: 'clinical store: FHIR API and bulk ingest',
            purpose: 'clinical care and governed secondary use',
            storageLocation: 'Custodia clinical store (sealed per patient)',
            volume: { count, unit: 'resources' },
            updateFrequency: 'realtime',
            responsiblePerson: 'unassigned (set a data steward)',
            sensitivity,
          },
          actor,
        ).then((a) =>
          this.mutate(tenant, a.id, actor, 'volume', undefined, (x) => ({
            ...x,
            gradeCounts: { ...grades },
          })),
        );
      } catch (e) {
        // Another ingest batch registered it first: take the update path.
        const code = (e as { code?: string }).code;
        if (attempt === 0 && (code === 'conflict' || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'))
          continue;
        throw e;
      }
    }
  }

  // ---- discovery and steward decisions ---------------------------------------------------------

  /**
   * Puts a discovery report's proposals into the asset's field schema. Fields a steward already
   * confirmed or overrode keep their decision.
   */
  async recordDiscovery(
    tenant: string,
    assetId: string,
    report: DiscoveryReport,
    actor: string,
  ): Promise<Asset> {
    return this.mutate(tenant, assetId, actor, 'discovery', undefined, (a) => {
      const fields = [...a.fields];
      for (const col of report.columns) {
        const i = fields.findIndex((f) => f.name === col.header);
        const current = i >= 0 ? fields[i] : undefined;
        if (current && (current.status === 'confirmed' || current.status === 'overridden')) continue;
        const proposed: FieldSpec = {
          ...(current ?? {}),
          name: col.header,
          identifierType: col.proposedType,
          labels: col.sensitivity,
          grade: col.grade,
          status: 'proposed',
          confidence: col.confidence,
        };
        if (i >= 0) fields[i] = proposed;
        else fields.push(proposed);
      }
      return { ...a, fields, sensitivity: highestOf(a.sensitivity, fields) };
    });
  }

  /**
   * A data steward confirms or overrides one field's proposal. A reason is mandatory: a decision
   * without one is refused, since the ledger must say why a grade was accepted or changed.
   */
  async decideField(
    tenant: string,
    assetId: string,
    fieldName: string,
    decision: FieldDecisionInput,
    actor: string,
  ): Promise<{ asset: Asset; decision: FieldDecision }> {
    const reason = typeof decision.reason === 'string' ? decision.reason.trim() : '';
    if (reason.length < 2)
      throw badRequest(`a steward decision on field ${fieldName} needs a reason`, {
        zh: `对字段“${fieldName}”的确认或更正必须填写理由`,
        hint: 'say why the proposal is right or what is wrong with it',
        path: 'reason',
      });
    if (decision.action !== 'confirm' && decision.action !== 'override')
      throw badRequest(
        `unknown decision "${String((decision as { action: unknown }).action)}"; use confirm or override`,
        {
          zh: '决定只能是 confirm（确认）或 override（更正）',
          path: 'action',
        },
      );
    if (!actor || actor.trim() === '')
      throw badRequest('a steward decision must name who made it', { zh: '必须记录决定人', path: 'actor' });
    const now = this.clock.now();
    const tenantScheme = await this.tenantScheme(tenant);
    let record: FieldDecision | undefined;
    const asset = await this.mutate(
      tenant,
      assetId,
      actor,
      'field-decision',
      undefined,
      (a) => {
        const i = a.fields.findIndex((f) => f.name === fieldName);
        if (i < 0)
          throw notFound(`asset ${a.name} has no field ${fieldName}`, {
            zh: `资产“${a.name}”没有字段“${fieldName}”`,
            hint: `fields: ${a.fields.map((f) => f.name).join(', ')}`,
          });
        const field = a.fields[i]!;
        const scheme = field.grade?.scheme ?? a.sensitivity?.scheme ?? tenantScheme;
        let decided: FieldSpec;
        if (decision.action === 'override') {
          if (
            decision.identifierType === undefined &&
            decision.grade === undefined &&
            decision.labels === undefined
          )
            throw badRequest('an override must change the identifier type, the grade or the labels', {
              zh: '更正须至少修改标识类型、等级或标签之一',
            });
          if (
            decision.identifierType !== undefined &&
            decision.identifierType !== 'none' &&
            !(IDENTIFIER_TYPES as readonly string[]).includes(decision.identifierType)
          )
            throw badRequest(
              `unknown identifier type "${decision.identifierType}"; valid: none, ${IDENTIFIER_TYPES.join(', ')}`,
              { zh: `未知的标识类型“${decision.identifierType}”`, path: 'identifierType' },
            );
          const grade = decision.grade !== undefined ? { scheme, grade: decision.grade } : field.grade;
          checkSensitivity(grade);
          decided = {
            ...field,
            identifierType: decision.identifierType ?? field.identifierType,
            grade,
            labels: decision.labels ?? field.labels,
            status: 'overridden',
          };
        } else {
          decided = { ...field, status: 'confirmed' };
        }
        decided = { ...decided, decidedBy: actor, decidedAt: now, reason };
        delete decided.confidence;
        record = {
          id: uuidv7(now),
          assetId: a.id,
          field: fieldName,
          action: decision.action,
          proposed: definedOnly({
            identifierType: field.identifierType,
            grade: field.grade?.grade,
            confidence: field.confidence,
          }),
          decided: definedOnly({ identifierType: decided.identifierType, grade: decided.grade?.grade }),
          reason,
          decidedBy: actor,
          decidedAt: now,
        };
        const fields = a.fields.map((f, j) => (j === i ? decided : f));
        return { ...a, fields, sensitivity: highestOf(a.sensitivity, fields) };
      },
      async (tx) => {
        const r = record!;
        await tx
          .insertInto('catalog_field_decision')
          .values({
            tenant_id: tenant,
            id: r.id,
            asset_id: r.assetId,
            field_name: r.field,
            action: r.action,
            proposed: toJson(r.proposed),
            decided: toJson(r.decided),
            reason: r.reason,
            decided_by: r.decidedBy,
            decided_at: r.decidedAt,
          })
          .execute();
      },
    );
    return { asset, decision: record! };
  }

  async fieldDecisions(tenant: string, assetId: string): Promise<FieldDecision[]> {
    const rows = await this.db
      .selectFrom('catalog_field_decision')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('asset_id', '=', assetId)
      .orderBy('decided_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      assetId: r.asset_id,
      field: r.field_name,
      action: r.action as FieldDecision['action'],
      proposed: fromJson(r.proposed),
      decided: fromJson(r.decided),
      reason: r.reason,
      decidedBy: r.decided_by,
      decidedAt: Number(r.decided_at),
    }));
  }

  // ---- lineage ---------------------------------------------------------------------------------

  /** Records that `to` was derived from `from`. Lineage is a DAG: an edge that would close a cycle is refused. */
  async addLineage(
    tenant: string,
    from: string,
    to: string,
    activity: string,
    actor: string,
  ): Promise<LineageEdge> {
    if (from === to) throw badRequest('an asset cannot be derived from itself', { zh: '资产不能派生自身' });
    if (!activity || activity.trim() === '')
      throw badRequest('say what derived one asset from the other (activity)', {
        zh: '请说明派生方式',
        path: 'activity',
      });
    await this.getAsset(tenant, from);
    await this.getAsset(tenant, to);
    const ancestorsOfFrom = await this.lineage(tenant, from, 'ancestors');
    if (ancestorsOfFrom.some((n) => n.asset.id === to))
      throw conflict(`asset ${to} is already an ancestor of ${from}: the edge would make a cycle`, {
        zh: '该血缘关系会形成环',
        hint: 'lineage runs from sources to what is derived from them',
      });
    const edge: LineageEdge = {
      from,
      to,
      activity: activity.trim(),
      createdAt: this.clock.now(),
      createdBy: actor,
    };
    await this.db
      .insertInto('catalog_lineage')
      .values({
        tenant_id: tenant,
        from_asset_id: from,
        to_asset_id: to,
        activity: edge.activity,
        created_at: edge.createdAt,
        created_by: actor,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'from_asset_id', 'to_asset_id']).doNothing())
      .execute();
    return edge;
  }

  /** Everything an asset was derived from (`ancestors`) or that was derived from it (`descendants`), nearest first. */
  async lineage(
    tenant: string,
    id: string,
    direction: 'ancestors' | 'descendants',
    maxDepth = MAX_LINEAGE_DEPTH,
  ): Promise<LineageNode[]> {
    const [near, far] =
      direction === 'ancestors' ? ['from_asset_id', 'to_asset_id'] : ['to_asset_id', 'from_asset_id'];
    const rows = await sql<{ id: string; depth: number }>`
      with recursive walk(id, depth) as (
        select ${sql.ref(near)}, 1 from catalog_lineage where tenant_id = ${tenant} and ${sql.ref(far)} = ${id}
        union
        select l.${sql.ref(near)}, walk.depth + 1 from catalog_lineage l
          join walk on l.${sql.ref(far)} = walk.id
          where l.tenant_id = ${tenant} and walk.depth < ${maxDepth}
      )
      select id, min(depth) as depth from walk group by id`.execute(this.db);
    if (rows.rows.length === 0) return [];
    const depth = new Map(rows.rows.map((r) => [r.id, Number(r.depth)]));
    const assets = await this.db
      .selectFrom('catalog_asset')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .where('id', 'in', [...depth.keys()])
      .execute();
    return assets
      .map(assetFromRow)
      .map((a) => ({
        asset: { id: a.id, name: a.name, kind: a.kind, sensitivity: a.sensitivity },
        depth: depth.get(a.id)!,
      }))
      .sort((a, b) => a.depth - b.depth || a.asset.name.localeCompare(b.asset.name));
  }

  async lineageEdges(tenant: string): Promise<LineageEdge[]> {
    const rows = await this.db
      .selectFrom('catalog_lineage')
      .selectAll()
      .where('tenant_id', '=', tenant)
      .execute();
    return rows.map((r) => ({
      from: r.from_asset_id,
      to: r.to_asset_id,
      activity: r.activity,
      createdAt: Number(r.created_at),
      createdBy: r.created_by,
    }));
  }

  // ---- inventory (清查登记) ---------------------------------------------------------------------

  async inventory(tenant: string, options: { includeRetired?: boolean } = {}): Promise<Inventory> {
    const assets = await this.listAssets(tenant, options.includeRetired ? {} : { status: 'active' });
    return buildInventory(tenant, assets, this.clock.now());
  }

  async inventoryCsv(tenant: string, options: { includeRetired?: boolean } = {}): Promise<string> {
    return inventoryCsv(await this.inventory(tenant, options));
  }

  // ---- internals -------------------------------------------------------------------------------

  private async mutate(
    tenant: string,
    id: string,
    actor: string,
    action: ChangeAction,
    expectedVersion: number | undefined,
    change: (a: Asset) => Asset,
    alsoInTx?: (tx: Transaction<CatalogTables>) => Promise<void>,
  ): Promise<Asset> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('catalog_asset')
        .selectAll()
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw notFound(`no asset ${id} in the catalog`, { zh: `数据资产台账中没有资产 ${id}` });
      const before = assetFromRow(row);
      if (expectedVersion !== undefined && expectedVersion !== before.version)
        throw conflict(`asset ${id} is at version ${before.version}, not ${expectedVersion}`, {
          zh: `资产已被他人修改（当前版本 ${before.version}）`,
          hint: 'reload the asset and apply your change again',
        });
      const now = this.clock.now();
      const proposed = change(before);
      const changes = diff(before, proposed);
      if (Object.keys(changes).length === 0) return before;
      const after: Asset = { ...proposed, version: before.version + 1, updatedAt: now, updatedBy: actor };
      const result = await tx
        .updateTable('catalog_asset')
        .set({
          name: after.name,
          description: after.description,
          source: after.source,
          purpose: after.purpose,
          storage_location: after.storageLocation,
          volume_count: after.volume.count,
          volume_unit: after.volume.unit,
          update_frequency: after.updateFrequency,
          responsible_person: after.responsiblePerson,
          sensitivity_scheme: after.sensitivity?.scheme ?? null,
          sensitivity_grade: after.sensitivity?.grade ?? null,
          fields: toJson(after.fields),
          grade_counts: toJson(after.gradeCounts),
          status: after.status,
          version: after.version,
          updated_at: now,
          updated_by: actor,
        })
        .where('tenant_id', '=', tenant)
        .where('id', '=', id)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1)
        throw conflict(`asset ${id} changed while it was being updated`, { zh: '资产正被他人修改，请重试' });
      await this.insertVersion(tx, after, action, changes, actor, now);
      if (alsoInTx) await alsoInTx(tx);
      return after;
    });
  }

  private async insertAsset(tx: Db, a: Asset): Promise<void> {
    await tx
      .insertInto('catalog_asset')
      .values({
        tenant_id: a.tenant,
        id: a.id,
        kind: a.kind,
        natural_key: a.naturalKey,
        name: a.name,
        description: a.description,
        source: a.source,
        purpose: a.purpose,
        storage_location: a.storageLocation,
        volume_count: a.volume.count,
        volume_unit: a.volume.unit,
        update_frequency: a.updateFrequency,
        responsible_person: a.responsiblePerson,
        sensitivity_scheme: a.sensitivity?.scheme ?? null,
        sensitivity_grade: a.sensitivity?.grade ?? null,
        fields: toJson(a.fields),
        grade_counts: toJson(a.gradeCounts),
        status: a.status,
        version: a.version,
        created_at: a.createdAt,
        created_by: a.createdBy,
        updated_at: a.updatedAt,
        updated_by: a.updatedBy,
      })
      .execute();
  }

  private async insertVersion(
    tx: Db,
    a: Asset,
    action: ChangeAction,
    changes: Record<string, { from: unknown; to: unknown }>,
    actor: string,
    at: number,
  ): Promise<void> {
    await tx
      .insertInto('catalog_asset_version')
      .values({
        tenant_id: a.tenant,
        asset_id: a.id,
        version: a.version,
        action,
        changed_at: at,
        changed_by: actor,
        changes: toJson(changes),
      })
      .execute();
  }
}

export const createCatalog = (options: CatalogOptions): Catalog => new Catalog(options);

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What a freshly created asset is compared with, so that the first version lists every dimension. */
function emptyLike(a: Asset): Asset {
  return {
    ...a,
    name: '',
    description: '',
    source: '',
    purpose: '',
    storageLocation: '',
    responsiblePerson: '',
    volume: { count: 0, unit: '' },
    sensitivity: null,
    fields: [],
    gradeCounts: {},
  } as Asset;
}

/** The asset's grade rises to its most sensitive field's; it never falls below what was declared. */
function highestOf(current: GradeRef | null, fields: readonly FieldSpec[]): GradeRef | null {
  let best = current;
  for (const f of fields) {
    if (!f.grade) continue;
    if (!best) best = f.grade;
    else if (
      best.scheme === f.grade.scheme &&
      compareGrades(getScheme(best.scheme), f.grade.grade, best.grade) > 0
    )
      best = f.grade;
  }
  return best;
}
