import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, unauthorized } from '../../core/index.js';
import { parsePurpose } from '../../consent/index.js';
import {
  capabilityStatement,
  formatETag,
  historyBundle,
  parsePreferHandling,
  parseSearch,
  searchsetJson,
  type FhirRegistry,
  type FhirResource,
} from '../../fhir/index.js';
import type { Access, Guard, ReadResource } from '../../guard/index.js';
import type { Principal } from '../../identity/index.js';

export interface FhirDeps {
  guard: Guard;
  registry: FhirRegistry;
  publicUrl: string;
  version: string;
  /** Most entries in one transaction or batch (more: 413). */
  maxBundleEntries?: number;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const ID = '^[A-Za-z0-9\\-.]{1,64}$';
const TYPE = '^[A-Z][A-Za-z]{1,63}$';
const typeParams = { type: 'object', properties: { type: { type: 'string', pattern: TYPE } } } as const;
const instanceParams = {
  type: 'object',
  properties: { type: { type: 'string', pattern: TYPE }, id: { type: 'string', pattern: ID } },
} as const;
const tags = ['fhir'];
const pageQuery = {
  type: 'object',
  properties: {
    _count: { type: 'integer', minimum: 1, maximum: 1000 },
    _offset: { type: 'integer', minimum: 0 },
  },
} as const;

/** A page URL of a paged operation (history, $everything): `_count` always, `_offset` past the first page. */
const pageUrl = (path: string, count: number, offset: number) =>
  `${path}?_count=${count}${offset > 0 ? `&_offset=${offset}` : ''}`;

/** A stored version's bytes as they are, with its ETag and Last-Modified. */
function sendVersion(reply: FastifyReply, read: ReadResource) {
  return reply
    .header('etag', formatETag(String(read.version.version)))
    .header('last-modified', new Date(read.version.lastUpdated).toUTCString())
    .type(FHIR_JSON)
    .send(read.json);
}

/**
 * The FHIR R4 REST API. Every handler reaches data only through guard, which decides, decrypts
 * and records; errors leave as OperationOutcome (see the errors plugin).
 */
export async function fhirRoutes(app: FastifyInstance, deps: FhirDeps): Promise<void> {
  const { guard, registry } = deps;
  const base = `${deps.publicUrl.replace(/\/+$/, '')}/fhir`;
  const capability = capabilityStatement(registry, {
    baseUrl: base,
    software: { name: 'Custodia', version: deps.version },
    date: new Date().toISOString(),
    description:
      'Custodia clinical store: every resource sealed per patient, every access decided and recorded.',
    security:
      'OAuth-style bearer tokens from POST /auth/token (EdDSA-signed), or API keys for service accounts.',
  });
  const supported = (type: string) => {
    if (!registry.isSupported(type))
      throw badRequest(
        `Resource type '${type}' is not supported; supported types: ${registry.types.join(', ')}`,
        {
          zh: `不支持资源类型 '${type}'`,
          path: type,
        },
      );
  };
  const maxEntries = deps.maxBundleEntries;

  app.get(
    '/fhir/metadata',
    { config: { public: true }, schema: { tags, summary: 'CapabilityStatement' } },
    (_q, reply) => reply.type(FHIR_JSON).send(capability),
  );

  app.post('/fhir', { schema: { tags, summary: 'Transaction or batch Bundle' } }, async (request, reply) => {
    const response = await guard.bundle(access(request), request.body, {
      baseUrl: base,
      ...(maxEntries === undefined ? {} : { maxEntries }),
    });
    return reply.type(FHIR_JSON).send(response);
  });

  app.get<{ Params: { type: string } }>(
    '/fhir/:type',
    { schema: { tags, summary: 'Search', params: typeParams } },
    async (request, reply) => {
      const { type } = request.params;
      const search = parseSearch(type, new URL(request.url, 'http://x').searchParams, {
        registry,
        handling: parsePreferHandling(header(request, 'prefer')),
      });
      const { matches, total, hasMore, nextOffset } = await guard.search(access(request), search);
      const next = hasMore ? { offset: nextOffset } : undefined;
      const previous = search.offset > 0 ? { offset: Math.max(0, search.offset - search.count) } : undefined;
      return reply.type(FHIR_JSON).send(
        searchsetJson({
          baseUrl: base,
          search,
          matches,
          ...(total === undefined ? {} : { total }),
          ...(next ? { next } : {}),
          ...(previous ? { previous } : {}),
        }),
      );
    },
  );

  app.post<{ Params: { type: string } }>(
    '/fhir/:type',
    { schema: { tags, summary: 'Create (If-None-Exist for a conditional create)', params: typeParams } },
    async (request, reply) => {
      const { type } = request.params;
      supported(type);
      const condition = header(request, 'if-none-exist');
      const ifNoneExist =
        condition === undefined
          ? undefined
          : parseSearch(type, condition.replace(/^\?/, ''), { registry, handling: 'strict' });
      const outcome = await guard.create(access(request), type, request.body, ifNoneExist);
      reply
        .status(outcome.status)
        .header('location', `${base}/${type}/${outcome.id}/_history/${outcome.versionId}`)
        .header('etag', formatETag(outcome.versionId))
        .header('last-modified', new Date(outcome.lastUpdated).toUTCString())
        .type(FHIR_JSON);
      return outcome.resource ? reply.send(outcome.resource) : reply.send();
    },
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/fhir/:type/:id',
    { schema: { tags, summary: 'Read', params: instanceParams } },
    async (request, reply) => {
      const { type, id } = request.params;
      supported(type);
      return sendVersion(reply, await guard.read(access(request), type, id));
    },
  );

  app.put<{ Params: { type: string; id: string } }>(
    '/fhir/:type/:id',
    { schema: { tags, summary: 'Update (If-Match for optimistic locking)', params: instanceParams } },
    async (request, reply) => {
      const { type, id } = request.params;
      supported(type);
      const outcome = await guard.update(
        access(request),
        type,
        id,
        request.body,
        header(request, 'if-match'),
      );
      return reply
        .status(outcome.status)
        .header('etag', formatETag(outcome.versionId))
        .header('last-modified', new Date(outcome.lastUpdated).toUTCString())
        .type(FHIR_JSON)
        .send(outcome.resource);
    },
  );

  app.delete<{ Params: { type: string; id: string } }>(
    '/fhir/:type/:id',
    { schema: { tags, summary: 'Delete', params: instanceParams } },
    async (request, reply) => {
      const { type, id } = request.params;
      supported(type);
      const outcome = await guard.delete(access(request), type, id, header(request, 'if-match'));
      if (outcome.versionId !== undefined) reply.header('etag', formatETag(outcome.versionId));
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { type: string; id: string }; Querystring: { _count?: number; _offset?: number } }>(
    '/fhir/:type/:id/_history',
    {
      schema: {
        tags,
        summary: 'History of a resource',
        params: instanceParams,
        querystring: pageQuery,
      },
    },
    async (request, reply) => {
      const { type, id } = request.params;
      supported(type);
      const count = request.query._count ?? 20;
      const offset = request.query._offset ?? 0;
      const { total, versions } = await guard.history(access(request), type, id, { count, offset });
      const page = (o: number) => pageUrl(`${base}/${type}/${id}/_history`, count, o);
      return reply.type(FHIR_JSON).send(
        historyBundle({
          baseUrl: base,
          self: page(offset),
          total,
          ...(offset + count < total ? { next: page(offset + count) } : {}),
          ...(offset > 0 ? { previous: page(Math.max(0, offset - count)) } : {}),
          versions: versions.map(({ version: v, resource }) => ({
            resourceType: v.resourceType,
            id: v.id,
            versionId: String(v.version),
            lastUpdated: v.lastUpdated,
            method: v.method,
            ...(resource ? { resource } : {}),
          })),
        }),
      );
    },
  );

  app.get<{ Params: { type: string; id: string; vid: string } }>(
    '/fhir/:type/:id/_history/:vid',
    {
      schema: {
        tags,
        summary: 'Read one version',
        params: {
          ...instanceParams,
          properties: { ...instanceParams.properties, vid: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } },
        },
      },
    },
    async (request, reply) => {
      const { type, id, vid } = request.params;
      supported(type);
      return sendVersion(reply, await guard.read(access(request), type, id, Number(vid)));
    },
  );

  app.get<{ Params: { id: string }; Querystring: { _count?: number; _offset?: number } }>(
    '/fhir/Patient/:id/$everything',
    {
      schema: {
        tags,
        summary: 'Patient $everything: the patient compartment',
        params: { type: 'object', properties: { id: { type: 'string', pattern: ID } } },
        querystring: pageQuery,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const count = request.query._count ?? 100;
      const offset = request.query._offset ?? 0;
      const { resources, total } = await guard.everything(access(request), id, { count, offset });
      const link = (o: number) => ({ url: pageUrl(`${base}/Patient/${id}/$everything`, count, o) });
      const bundle: FhirResource = {
        resourceType: 'Bundle',
        type: 'searchset',
        timestamp: new Date().toISOString(),
        total,
        link: [
          { relation: 'self', ...link(offset) },
          ...(offset + count < total ? [{ relation: 'next', ...link(offset + count) }] : []),
        ],
        entry: resources.map((resource) => ({
          fullUrl: `${base}/${resource.resourceType}/${resource.id ?? ''}`,
          resource,
          search: { mode: 'match' },
        })),
      };
      return reply.type(FHIR_JSON).send(bundle);
    },
  );
}

/** Who asks and why: the authenticated principal and the purpose of use they declare. */
export function access(request: FastifyRequest): Access {
  const principal = request.principal;
  if (!principal) throw unauthorized('authentication required', { zh: '需要身份认证' });
  const declared = header(request, 'x-purpose-of-use') ?? principal.purposeOfUse ?? ownRequest(principal);
  // An HL7 PurposeOfUse code (TREAT, HRESCH, ...) or Custodia's name for it; anything else is a 400.
  if (declared !== undefined) parsePurpose(declared, 'X-Purpose-Of-Use');
  return { principal, requestId: request.id, ...(declared === undefined ? {} : { purpose: declared }) };
}

/** A patient acts for themselves: their request is the only purpose they can have. */
const ownRequest = (principal: Principal): string | undefined =>
  principal.roles.length === 1 && principal.roles[0] === 'patient' ? 'PATRQT' : undefined;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
