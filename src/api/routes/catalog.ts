/**
 * The data asset catalog (数据资产台账) over HTTP: assets with the dimensions of seed 001, their
 * field-level schema with labels and grades, lineage, change history, the inventory report
 * (清查登记), discovery of identifying columns in an uploaded CSV with steward decisions, and the
 * tenant's grading scheme (switching it relabels the stored resources).
 *
 * The catalog holds metadata, never patient data, so it does not pass `guard`'s patient pipeline;
 * each route names the roles it admits. Every change, every inventory read and every scheme
 * switch is recorded in the ledger (asset ids and counts only, never a value from a file).
 */
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CustodiaError, badRequest, isCustodiaError, systemClock, type Clock } from '../../core/index.js';
import {
  ASSET_KINDS,
  UPDATE_FREQUENCIES,
  type Asset,
  type AssetInput,
  type AssetPatch,
  type Catalog,
  type CollectionSync,
  type RelabelJob,
  type SchemeControl,
} from '../../catalog/index.js';
import {
  IDENTIFIER_TYPES,
  discoverCsv,
  getGrade,
  getScheme,
  listSchemes,
  type GradingScheme,
} from '../../classify/index.js';
import type { Principal, Role } from '../../identity/index.js';
import type { AuditEntry, Ledger } from '../../ledger/index.js';
import type { RouteModule } from '../server.js';

export interface CatalogRouteDeps {
  catalog: Catalog;
  collections: CollectionSync;
  schemes: SchemeControl;
  ledger: Ledger;
  clock?: Clock;
  /** The largest CSV accepted for discovery (streamed: memory stays flat); default 256 MiB. */
  maxCsvBytes?: number;
}

/** Who maintains the catalog. */
const WRITERS: readonly Role[] = ['data-steward', 'admin'];
/** Who reads it: the maintainers and oversight. */
const READERS: readonly Role[] = ['data-steward', 'admin', 'privacy-officer', 'regulator'];
/** Who chooses the tenant's grading scheme. */
const SCHEME_ADMINS: readonly Role[] = ['admin'];

const problem = { description: 'problem+json (RFC 9457)', type: 'object', additionalProperties: true };
const anyObject = { type: 'object', additionalProperties: true } as const;
const gradeRef = {
  type: ['object', 'null'],
  required: ['scheme', 'grade'],
  additionalProperties: false,
  properties: { scheme: { type: 'string', minLength: 1 }, grade: { type: 'string', minLength: 1 } },
} as const;
const fieldSpec = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    dataType: { type: 'string', maxLength: 100 },
    identifierType: { type: 'string', enum: ['none', ...IDENTIFIER_TYPES] },
    labels: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 20 },
    grade: { ...gradeRef, type: 'object' },
  },
} as const;
const text = (max = 500) => ({ type: 'string', maxLength: max }) as const;
const dimensions = {
  name: text(200),
  description: text(2000),
  source: text(),
  purpose: text(),
  storageLocation: text(),
  volume: {
    type: 'object',
    required: ['count'],
    additionalProperties: false,
    properties: { count: { type: 'integer', minimum: 0 }, unit: text(50) },
  },
  updateFrequency: { type: 'string', enum: [...UPDATE_FREQUENCIES] },
  responsiblePerson: text(200),
  sensitivity: gradeRef,
  fields: { type: 'array', items: fieldSpec, maxItems: 2000 },
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const assetResponse = { description: 'a data asset', ...anyObject };
const jobSchema = { description: 'a relabelling pass', ...anyObject };

/** The catalog's routes, as a module the app registers. */
export function catalogRoutes(deps: CatalogRouteDeps): RouteModule {
  // Scoped: the CSV body parser applies to these routes only.
  return async (app) => app.register(async (scoped) => register(scoped, deps));
}

async function register(app: FastifyInstance, deps: CatalogRouteDeps): Promise<void> {
  const { catalog, collections, schemes, ledger } = deps;
  const clock = deps.clock ?? systemClock;
  const maxCsvBytes = deps.maxCsvBytes ?? 256 * 1024 * 1024;

  // CSV uploads are streamed into discovery as they arrive: a large file never sits in memory.
  app.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));

  const principal = (request: FastifyRequest): Principal => request.principal!;
  const tenant = (request: FastifyRequest) => principal(request).tenantId;
  const actor = (request: FastifyRequest) => principal(request).userId;

  /** Records a catalog event in the ledger (durable before the answer). */
  const record = async (
    request: FastifyRequest,
    entry:
      | { kind: 'write'; operation: 'create' | 'update'; action: string; assets: string[]; reason?: string }
      | { kind: 'read' | 'policy-change'; action: string; assets?: string[]; reason?: string },
  ) => {
    const p = principal(request);
    const { assets, ...rest } = entry;
    await ledger.append({
      ...rest,
      actor: p.userId,
      organization: p.orgId,
      targets: [],
      decision: 'permit',
      requestId: request.id,
      time: clock.now(),
      ...(assets && assets.length > 0 ? { resources: assets.map((a) => `CatalogAsset/${a}`) } : {}),
    } as AuditEntry);
  };

  // ---- assets ----------------------------------------------------------------------------------

  app.get<{ Querystring: { kind?: string; status?: 'active' | 'retired'; grade?: string } }>(
    '/catalog/assets',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'List data assets (数据资产列表); the clinical store’s collections are kept current',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: [...ASSET_KINDS] },
            status: { type: 'string', enum: ['active', 'retired'] },
            grade: { type: 'string', description: 'a grade of the tenant’s scheme' },
          },
        },
        response: { 200: { type: 'array', items: assetResponse }, 403: problem },
      },
    },
    async (request) => {
      await collections.refresh();
      const { grade } = request.query;
      if (grade !== undefined) {
        const schemeId = await catalog.tenantScheme(tenant(request));
        checkInput(() => getGrade(schemeId, grade));
      }
      return catalog.listAssets(tenant(request), request.query);
    },
  );

  app.post<{ Body: AssetInput }>(
    '/catalog/assets',
    {
      config: { roles: WRITERS },
      schema: {
        tags: ['catalog'],
        summary: 'Register a data asset (登记数据资产)',
        body: {
          type: 'object',
          required: [
            'kind',
            'name',
            'source',
            'purpose',
            'storageLocation',
            'updateFrequency',
            'responsiblePerson',
          ],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: [...ASSET_KINDS] },
            naturalKey: { type: 'string', maxLength: 200 },
            ...dimensions,
          },
        },
        response: { 201: assetResponse, 400: problem, 403: problem, 409: problem },
      },
    },
    async (request, reply) => {
      if (request.body.naturalKey?.startsWith('fhir:'))
        throw badRequest('keys starting with fhir: belong to the clinical store’s own collections', {
          zh: '以 fhir: 开头的键保留给临床数据存储自动登记的资源集合',
          path: 'naturalKey',
        });
      const asset = await checkInput(() =>
        catalog.registerAsset(tenant(request), request.body, actor(request)),
      );
      await record(request, {
        kind: 'write',
        operation: 'create',
        action: 'catalog.asset.register',
        assets: [asset.id],
      });
      return reply.status(201).header('etag', etag(asset)).send(asset);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/catalog/assets/:id',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'One data asset with its dimensions and field-level schema',
        params: idParams,
        response: { 200: assetResponse, 404: problem },
      },
    },
    async (request, reply) => {
      await collections.refresh();
      const asset = await catalog.getAsset(tenant(request), request.params.id);
      return reply.header('etag', etag(asset)).send(asset);
    },
  );

  app.patch<{ Params: { id: string }; Body: AssetPatch }>(
    '/catalog/assets/:id',
    {
      config: { roles: WRITERS },
      schema: {
        tags: ['catalog'],
        summary: 'Change an asset’s dimensions (If-Match: W/"<version>" refuses a stale change)',
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { ...dimensions, status: { type: 'string', enum: ['active', 'retired'] } },
        },
        response: { 200: assetResponse, 400: problem, 404: problem, 409: problem },
      },
    },
    async (request, reply) => {
      const expected = expectedVersion(request.headers['if-match']);
      const asset = await checkInput(() =>
        catalog.updateAsset(tenant(request), request.params.id, request.body, actor(request), expected),
      );
      await record(request, {
        kind: 'write',
        operation: 'update',
        action: 'catalog.asset.update',
        assets: [asset.id],
      });
      return reply.header('etag', etag(asset)).send(asset);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/catalog/assets/:id/fields',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary:
          'The field-level schema: identifier type, labels, grade and review state of each field, and the steward decisions',
        params: idParams,
        response: { 200: anyObject, 404: problem },
      },
    },
    async (request) => {
      const asset = await catalog.getAsset(tenant(request), request.params.id);
      const decisions = await catalog.fieldDecisions(tenant(request), asset.id);
      return { asset: brief(asset), fields: asset.fields, decisions };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/catalog/assets/:id/history',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'The change history of an asset: every version, who changed what and when',
        params: idParams,
        response: { 200: { type: 'array', items: anyObject }, 404: problem },
      },
    },
    async (request) => catalog.history(tenant(request), request.params.id),
  );

  // ---- lineage ---------------------------------------------------------------------------------

  app.get<{ Params: { id: string }; Querystring: { depth?: number } }>(
    '/catalog/assets/:id/lineage',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'Lineage of an asset: what it was derived from and what was derived from it, with the edges',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { depth: { type: 'integer', minimum: 1, maximum: 50 } },
        },
        response: { 200: anyObject, 404: problem },
      },
    },
    async (request) => {
      const t = tenant(request);
      const asset = await catalog.getAsset(t, request.params.id);
      const depth = request.query.depth ?? 50;
      const [derivedFrom, derivedTo, edges] = await Promise.all([
        catalog.lineage(t, asset.id, 'ancestors', depth),
        catalog.lineage(t, asset.id, 'descendants', depth),
        catalog.lineageEdges(t),
      ]);
      const inGraph = new Set([
        asset.id,
        ...derivedFrom.map((n) => n.asset.id),
        ...derivedTo.map((n) => n.asset.id),
      ]);
      return {
        asset: brief(asset),
        derivedFrom,
        derivedTo,
        edges: edges.filter((e) => inGraph.has(e.from) && inGraph.has(e.to)),
      };
    },
  );

  app.get(
    '/catalog/lineage',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'The whole lineage graph of the tenant: assets as nodes, derivations as edges',
        response: { 200: anyObject },
      },
    },
    async (request) => {
      const t = tenant(request);
      const [assets, edges] = await Promise.all([catalog.listAssets(t), catalog.lineageEdges(t)]);
      return { nodes: assets.map(brief), edges };
    },
  );

  app.post<{ Body: { from: string; to: string; activity: string } }>(
    '/catalog/lineage',
    {
      config: { roles: WRITERS },
      schema: {
        tags: ['catalog'],
        summary:
          'Record that asset `to` was derived from asset `from` (an edge that would close a cycle is refused)',
        body: {
          type: 'object',
          required: ['from', 'to', 'activity'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', minLength: 1, maxLength: 64 },
            to: { type: 'string', minLength: 1, maxLength: 64 },
            activity: { type: 'string', minLength: 1, maxLength: 500 },
          },
        },
        response: { 201: anyObject, 400: problem, 404: problem, 409: problem },
      },
    },
    async (request, reply) => {
      const { from, to, activity } = request.body;
      const edge = await catalog.addLineage(tenant(request), from, to, activity, actor(request));
      await record(request, {
        kind: 'write',
        operation: 'update',
        action: 'catalog.lineage.add',
        assets: [from, to],
      });
      return reply.status(201).send(edge);
    },
  );

  // ---- inventory (清查登记) ---------------------------------------------------------------------

  app.get<{ Querystring: { format?: 'json' | 'csv'; includeRetired?: boolean } }>(
    '/catalog/inventory',
    {
      config: { roles: READERS },
      schema: {
        tags: ['catalog'],
        summary: 'The inventory report (清查登记表) as JSON or CSV (format=csv, or Accept: text/csv)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['json', 'csv'] },
            includeRetired: { type: 'boolean' },
          },
        },
        response: {
          200: {
            description: 'the inventory',
            content: {
              'application/json': { schema: anyObject },
              'text/csv': { schema: { type: 'string' } },
            },
          },
        },
      },
    },
    async (request, reply) => {
      await collections.refresh();
      const csv =
        request.query.format === 'csv' ||
        (request.query.format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
      const options = { includeRetired: request.query.includeRetired ?? false };
      const inventory = await catalog.inventory(tenant(request), options);
      await record(request, {
        kind: 'read',
        action: 'catalog.inventory.read',
        reason: `format ${csv ? 'csv' : 'json'}, ${inventory.totals.assets} assets`,
      });
      if (!csv) return inventory;
      const day = inventory.generatedAt.slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="custodia-inventory-${day}.csv"`)
        .send(await catalog.inventoryCsv(tenant(request), options));
    },
  );

  // ---- discovery and steward decisions ---------------------------------------------------------

  app.post<{ Params: { id: string }; Querystring: { scheme?: string; delimiter?: string } }>(
    '/catalog/assets/:id/discover',
    {
      config: { roles: WRITERS },
      schema: {
        tags: ['catalog'],
        summary:
          'Upload a CSV (Content-Type: text/csv, first line the headers): each column’s identifier type with evidence, a proposed grade and confidence, stored as proposals on the asset’s fields',
        consumes: ['text/csv'],
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            scheme: { type: 'string', description: 'grading scheme of the proposals; default the tenant’s' },
            delimiter: { type: 'string', minLength: 1, maxLength: 1 },
          },
        },
        response: { 200: anyObject, 400: problem, 404: problem, 413: problem, 415: problem },
      },
    },
    async (request) => {
      const body = request.body as Readable | undefined;
      if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function')
        throw new CustodiaError(
          'unsupported-media-type',
          'send the table as CSV with Content-Type: text/csv',
          {
            zh: '请以 CSV（Content-Type: text/csv）上传表格',
            hint: 'curl --data-binary @table.csv -H "content-type: text/csv" …',
          },
        );
      const t = tenant(request);
      const asset = await catalog.getAsset(t, request.params.id);
      const schemeId = request.query.scheme ?? (await catalog.tenantScheme(t));
      const scheme = checkInput(() => getScheme(schemeId));
      const report = await discoverCsv(body.pipe(byteLimit(maxCsvBytes)), {
        scheme,
        ...(request.query.delimiter ? { delimiter: request.query.delimiter } : {}),
      });
      const updated = await catalog.recordDiscovery(t, asset.id, report, actor(request));
      await record(request, {
        kind: 'write',
        operation: 'update',
        action: 'catalog.asset.discover',
        assets: [asset.id],
        reason: `${report.columns.length} columns, ${report.rows} rows, scheme ${report.scheme}`,
      });
      return { asset: updated, report };
    },
  );

  app.post<{
    Params: { id: string; field: string };
    Body: {
      action: 'confirm' | 'override';
      reason?: string;
      identifierType?: string;
      grade?: string;
      labels?: string[];
    };
  }>(
    '/catalog/assets/:id/fields/:field/decision',
    {
      config: { roles: WRITERS },
      schema: {
        tags: ['catalog'],
        summary:
          'A data steward confirms or overrides a field’s proposed identifier type and grade (an override needs a reason); recorded with who and when',
        params: {
          type: 'object',
          required: ['id', 'field'],
          properties: {
            id: { type: 'string', maxLength: 64 },
            field: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: ['confirm', 'override'] },
            reason: { type: 'string', maxLength: 2000 },
            identifierType: { type: 'string', maxLength: 50 },
            grade: { type: 'string', maxLength: 50 },
            labels: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 20 },
          },
        },
        response: { 200: anyObject, 400: problem, 404: problem },
      },
    },
    async (request) => {
      const { action, reason, ...change } = request.body;
      if (action === 'override' && !reason?.trim())
        throw badRequest(`an override of field ${request.params.field} needs a reason`, {
          zh: `更正字段“${request.params.field}”的分类分级必须填写理由`,
          hint: 'say what is wrong with the proposal, e.g. {"action":"override","grade":"grade-1","reason":"..."}',
          path: 'body/reason',
        });
      const decision =
        action === 'confirm'
          ? { action, reason: reason?.trim() || 'confirmed as proposed (按建议确认)' }
          : { action, reason: reason!, ...change };
      const result = await checkInput(() =>
        catalog.decideField(
          tenant(request),
          request.params.id,
          request.params.field,
          decision,
          actor(request),
        ),
      );
      await record(request, {
        kind: 'write',
        operation: 'update',
        action: `catalog.field.${action}`,
        assets: [request.params.id],
        reason: `field decision ${result.decision.id}`,
      });
      return result;
    },
  );

  // ---- grading schemes -------------------------------------------------------------------------

  app.get(
    '/classify/schemes',
    {
      schema: {
        tags: ['classify'],
        summary: 'The grading schemes this server knows, with their grades (most sensitive first)',
        response: { 200: { type: 'array', items: anyObject } },
      },
    },
    async () => listSchemes().map(schemeSummary),
  );

  app.get(
    '/admin/grading-scheme',
    {
      config: { roles: READERS },
      schema: {
        tags: ['classify'],
        summary: 'The tenant’s grading scheme, who chose it, and the last relabelling pass',
        response: { 200: anyObject },
      },
    },
    async () => schemeState(),
  );

  const startRelabel = async (
    request: FastifyRequest,
    reply: FastifyReply,
    schemeId: string,
    all: boolean,
  ) => {
    const previous = (await schemes.scheme()).scheme.id;
    const { job, done } = await checkInput(() =>
      schemes.switchTo(schemeId, actor(request), {
        all,
        onBatch: (resources) =>
          appendQuietly(request, {
            kind: 'write',
            operation: 'update',
            action: 'classify.relabel',
            resources,
            reason: `relabelled under ${schemeId}`,
          }),
      }),
    );
    await record(request, {
      kind: 'policy-change',
      action: 'classify.scheme.set',
      reason: `grading scheme ${previous} -> ${job.scheme}${all ? ' (relabel all)' : ''}; job ${job.id}`,
    });
    void done.then((finished) =>
      appendQuietly(request, {
        kind: 'policy-change',
        action: `classify.relabel.${finished.state}`,
        reason:
          `job ${finished.id}: ${finished.report ? `${finished.report.relabelled} relabelled of ${finished.report.scanned}` : (finished.error?.message ?? '')}`.slice(
            0,
            2000,
          ),
      }),
    );
    return reply
      .status(202)
      .header('location', '/admin/grading-scheme')
      .send({ job, ...(await schemeState()) });
  };

  /** Background entries (after the answer) must not fail the process; a failure is logged. */
  const appendQuietly = async (
    request: FastifyRequest,
    entry: {
      kind: 'write' | 'policy-change';
      action: string;
      reason: string;
      operation?: 'update';
      resources?: string[];
    },
  ) => {
    const p = principal(request);
    try {
      await ledger.append({
        targets: [],
        ...entry,
        actor: p.userId,
        organization: p.orgId,
        decision: 'permit',
        requestId: request.id,
        time: clock.now(),
      } as unknown as AuditEntry);
    } catch (e) {
      request.log.error({ err: e }, 'could not record a relabelling event in the ledger');
    }
  };

  app.put<{ Body: { scheme: string; all?: boolean } }>(
    '/admin/grading-scheme',
    {
      config: { roles: SCHEME_ADMINS },
      schema: {
        tags: ['classify'],
        summary:
          'Choose the tenant’s grading scheme; new writes are labelled under it at once and the stored resources are relabelled in the background (202)',
        body: {
          type: 'object',
          required: ['scheme'],
          additionalProperties: false,
          properties: {
            scheme: { type: 'string', minLength: 1, maxLength: 100 },
            all: { type: 'boolean', description: 'relabel every resource, not only those of another scheme' },
          },
        },
        response: { 202: jobSchema, 400: problem, 403: problem, 409: problem },
      },
    },
    async (request, reply) => startRelabel(request, reply, request.body.scheme, request.body.all ?? false),
  );

  app.post<{ Body: { all?: boolean } | undefined }>(
    '/admin/grading-scheme/relabel',
    {
      config: { roles: SCHEME_ADMINS },
      schema: {
        tags: ['classify'],
        summary:
          'Relabel the stored resources under the current scheme (all: true after value sets changed; otherwise finishes an interrupted pass)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { all: { type: 'boolean' } },
        },
        response: { 202: jobSchema, 403: problem, 409: problem },
      },
    },
    async (request, reply) =>
      startRelabel(request, reply, (await schemes.scheme()).scheme.id, request.body?.all ?? false),
  );

  async function schemeState(): Promise<{ scheme: unknown; chosen?: unknown; job?: RelabelJob }> {
    const { scheme, chosen } = await schemes.scheme();
    const job = schemes.job();
    return { scheme: schemeSummary(scheme), ...(chosen ? { chosen } : {}), ...(job ? { job } : {}) };
  }
}

function schemeSummary(s: GradingScheme) {
  return {
    id: s.id,
    name: s.name,
    defaultGrade: s.defaultGrade,
    grades: [...s.grades]
      .sort((a, b) => b.rank - a.rank)
      .map((g) => ({ id: g.id, rank: g.rank, name: g.name, confidentiality: g.confidentiality })),
  };
}

const brief = (a: Asset) => ({
  id: a.id,
  name: a.name,
  kind: a.kind,
  sensitivity: a.sensitivity,
  version: a.version,
});
const etag = (a: Asset) => `W/"${a.version}"`;

function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined) return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(ifMatch.trim());
  if (!m)
    throw badRequest('If-Match must be an ETag such as W/"3"', { zh: 'If-Match 须为 W/"3" 形式的 ETag' });
  return Number(m[1]);
}

/**
 * An unknown scheme or grade in a request is a bad request (400) naming the valid ones; the
 * classify module reports it as not found, which fits a lookup, not a value someone sent.
 */
function checkInput<T>(work: () => T): T {
  const rethrow = (e: unknown): never => {
    if (isCustodiaError(e) && e.code === 'not-found' && e.extensions && 'valid' in e.extensions)
      throw new CustodiaError('bad-request', e.message, {
        ...(e.zh ? { zh: e.zh } : {}),
        ...(e.hint ? { hint: e.hint } : {}),
        extensions: e.extensions,
      });
    throw e;
  };
  try {
    const result = work();
    return (result instanceof Promise ? result.catch(rethrow) : result) as T;
  } catch (e) {
    return rethrow(e);
  }
}

/** Fails the upload with 413 once it passes `max` bytes. */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max)
        done(
          new CustodiaError('payload-too-large', `the CSV is larger than ${max} bytes`, {
            zh: 'CSV 文件过大',
            hint: 'run discovery on a sample, or with `custodia catalog discover FILE` on the server',
          }),
        );
      else done(null, chunk);
    },
  });
}
