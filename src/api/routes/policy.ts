/**
 * Policies, break-glass and public-health emergencies over HTTP (seed 002 §6.2.1). Policy packs
 * are proposed, validated by Cedar and activated by privacy officers and administrators; a
 * clinician declares break-glass for one patient and a privacy officer reviews it afterwards; a
 * regulator declares and ends emergencies.
 *
 * The policy module decides who may do what, and each change it makes is written to the ledger
 * (through guard, by the recorder a route hands it) before the change is committed: a change the
 * ledger could not record is not made, and the client gets the error (see `recordedChange` in
 * src/policy/audit.ts). The reason a clinician types stays in the policy tables: the ledger entry
 * carries ids only, and request bodies are never logged.
 */
import type { FastifyInstance, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { badRequest, forbidden, systemClock, type Clock } from '../../core/index.js';
import { DATA_CATEGORIES } from '../../classify/index.js';
import { parsePurpose } from '../../consent/index.js';
import type { Guard } from '../../guard/index.js';
import type { Principal, Role } from '../../identity/index.js';
import {
  BREAK_GLASS_REVIEWERS,
  BREAK_GLASS_ROLES,
  breakGlassReason,
  EMERGENCY_DECLARERS,
  MAX_BREAK_GLASS_TTL_MS,
  POLICY_AUTHORS,
  REVIEW_OUTCOMES,
  type BreakGlassGrant,
  type BreakGlassService,
  type EmergencyDeclaration,
  type EmergencyService,
  type PolicyRecorder,
  type PolicyService,
  type PolicyVersionSummary,
  type ReviewOutcome,
} from '../../policy/index.js';
import type { RouteModule } from '../server.js';
import { access } from './fhir.js';

export interface PolicyRouteDeps {
  policies: PolicyService;
  breakGlass: BreakGlassService;
  emergencies: EmergencyService;
  /**
   * Writes the policy module's audit notes to the ledger, before each change is committed, and
   * confirms that the patient of a break-glass declaration exists.
   */
  guard: Guard;
  clock?: Clock;
}

/** Who reads the policy versions: their authors and oversight. */
const POLICY_READERS: readonly Role[] = [...POLICY_AUTHORS, 'regulator', 'data-steward'];

const problem = { description: 'problem+json (RFC 9457)', type: 'object', additionalProperties: true };
const anyObject = { type: 'object', additionalProperties: true } as const;
const errors = { 400: problem, 403: problem, 404: problem, 409: problem };
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const versionParams = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'integer', minimum: 1 } },
} as const;
/** Epoch milliseconds or an ISO 8601 date-time. */
const instant = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 40 },
  ],
} as const;
const POLICY_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.cedar$/;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const versionView = (v: PolicyVersionSummary) => ({
  ...v,
  proposedAt: iso(v.proposedAt),
  activatedAt: iso(v.activatedAt),
});

function grantView(g: BreakGlassGrant, now: number) {
  return {
    id: g.id,
    patient: g.patientKey,
    user: g.userId,
    organization: g.orgId,
    reason: g.reason,
    declaredAt: iso(g.declaredAt),
    expiresAt: iso(g.expiresAt),
    active: g.expiresAt > now,
    ...(g.review ? { review: { ...g.review, at: iso(g.review.at) } } : {}),
  };
}

const emergencyView = (d: EmergencyDeclaration) => ({
  ...d,
  startsAt: iso(d.startsAt),
  endsAt: iso(d.endsAt),
  endedAt: iso(d.endedAt),
});

/** The longest break-glass grant, in the minutes a declaration asks for (24 h). */
const MAX_BREAK_GLASS_MINUTES = MAX_BREAK_GLASS_TTL_MS / 60_000;

/**
 * A break-glass declaration's `minutes` that is not a whole number from 1 to 24 h (a fraction,
 * zero, a negative, too long) is refused with a message saying what is accepted, rather than the
 * schema validator's terse one; every other validation error keeps the usual form.
 */
function minutesErrorFormatter(errors: FastifySchemaValidationError[], dataVar: string): Error {
  if (dataVar === 'body' && errors.some((e) => e.instancePath === '/minutes'))
    return badRequest(
      `minutes must be a whole number of minutes from 1 to ${MAX_BREAK_GLASS_MINUTES} (24 h)`,
      {
        path: 'body/minutes',
        zh: `minutes 须为 1 到 ${MAX_BREAK_GLASS_MINUTES}（24 小时）之间的整数分钟数`,
        hint: 'leave it out for the configured default (breakGlassMinutes); declare again if care needs longer',
      },
    );
  // The errors plugin turns the validation errors fastify attaches to this into the usual 400.
  return new Error('request validation failed');
}

/** An instant from the body: epoch ms or an ISO date-time; anything else is a 400 naming the field. */
function parseInstant(value: number | string, field: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw badRequest(`${field} must be an ISO 8601 date-time or epoch milliseconds`, {
      path: `body/${field}`,
      zh: `${field} 须为 ISO 8601 时间或毫秒时间戳`,
      hint: 'e.g. 2026-02-01T00:00:00+08:00',
    });
  return ms;
}

/** The policies' routes, as a module the app registers. */
export function policyRoutes(deps: PolicyRouteDeps): RouteModule {
  return async (app) => register(app, deps);
}

async function register(app: FastifyInstance, deps: PolicyRouteDeps): Promise<void> {
  const { policies, breakGlass, emergencies, guard } = deps;
  const clock = deps.clock ?? systemClock;
  const now = () => clock.now();
  const principal = (request: FastifyRequest): Principal => request.principal!;

  /**
   * How a change's audit note reaches the ledger: durably, before the policy module commits the
   * change. Made first, so a malformed purpose header is refused before anything is recorded.
   */
  const recorder = (request: FastifyRequest): PolicyRecorder => {
    const { purpose } = access(request);
    const ids = { requestId: request.id, ...(purpose === undefined ? {} : { purpose }) };
    return (note) => guard.recordPolicyEvent(note, ids);
  };

  // ---- policy versions -------------------------------------------------------------------------

  app.get(
    '/policies',
    {
      config: { roles: POLICY_READERS },
      schema: {
        tags: ['policy'],
        summary: 'Every policy version, newest first, and which one is in force',
        response: { 200: anyObject, 403: problem },
      },
    },
    async () => {
      const versions = await policies.list();
      return {
        active: versions.find((v) => v.status === 'active')?.version,
        versions: versions.map(versionView),
      };
    },
  );

  app.get(
    '/policies/history',
    {
      config: { roles: POLICY_READERS },
      schema: {
        tags: ['policy'],
        summary: 'Every proposal and activation in order: who, when, and the digest of the pack',
        response: { 200: anyObject, 403: problem },
      },
    },
    async () => ({
      changes: (await policies.history()).map((c) => ({ ...c, at: iso(c.at) })),
    }),
  );

  app.get<{ Params: { version: number } }>(
    '/policies/:version',
    {
      config: { roles: POLICY_READERS },
      schema: {
        tags: ['policy'],
        summary: 'One policy version: its Cedar files and who proposed and activated it',
        params: versionParams,
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const v = await policies.get(request.params.version);
      return { ...versionView(v), files: v.files };
    },
  );

  app.post<{ Body: { files: Record<string, string>; note?: string } }>(
    '/policies',
    {
      config: { roles: POLICY_AUTHORS },
      schema: {
        tags: ['policy'],
        summary:
          'Propose a policy pack (Cedar files by name): validated against the schema and stored as the next version, not yet in force',
        body: {
          type: 'object',
          required: ['files'],
          additionalProperties: false,
          properties: {
            files: {
              type: 'object',
              minProperties: 1,
              maxProperties: 100,
              additionalProperties: { type: 'string', maxLength: 1_000_000 },
            },
            note: { type: 'string', maxLength: 2000 },
          },
        },
        response: { 201: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const { files, note } = request.body;
      const record = recorder(request);
      const badName = Object.keys(files).find((name) => !POLICY_FILE.test(name));
      if (badName !== undefined)
        throw badRequest(`policy file "${badName}" must be named like access.cedar`, {
          path: `body/files/${badName}`,
          zh: `策略文件“${badName}”的名称须形如 access.cedar`,
          hint: 'letters, digits, . _ - and the extension .cedar',
        });
      const proposed = await policies.propose(principal(request), record, files, note?.trim() ?? '');
      return reply
        .status(201)
        .header('location', `/policies/${proposed.version.version}`)
        .send(versionView(proposed.version));
    },
  );

  app.post<{ Params: { version: number } }>(
    '/policies/:version/activate',
    {
      config: { roles: POLICY_AUTHORS },
      schema: {
        tags: ['policy'],
        summary: 'Put a proposed version in force at once; the version in force until now is superseded',
        params: versionParams,
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const record = recorder(request);
      const activated = await policies.activate(principal(request), record, request.params.version);
      return versionView(activated.version);
    },
  );

  // ---- break-glass -----------------------------------------------------------------------------

  app.post<{ Body: { patient: string; reason: string; minutes?: number } }>(
    '/break-glass',
    {
      config: { roles: BREAK_GLASS_ROLES },
      schema: {
        tags: ['break-glass'],
        summary:
          'Declare an emergency for one existing patient (破窗访问): a time-limited grant to read their records with purpose ETREAT, reviewed afterwards',
        body: {
          type: 'object',
          required: ['patient', 'reason'],
          additionalProperties: false,
          properties: {
            patient: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$', description: 'the Patient id' },
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            minutes: {
              type: 'integer',
              minimum: 1,
              maximum: MAX_BREAK_GLASS_MINUTES,
              description: `how long the grant lasts, in whole minutes (1 to ${MAX_BREAK_GLASS_MINUTES}); default the configured breakGlassMinutes`,
            },
          },
        },
        response: { 201: anyObject, ...errors },
      },
      schemaErrorFormatter: minutesErrorFormatter,
    },
    async (request, reply) => {
      const { patient, reason, minutes } = request.body;
      const record = recorder(request);
      const ttlMs = minutes === undefined ? undefined : minutes * 60_000;
      breakGlassReason(reason); // refused before the lookup below is recorded
      // Through guard, like every question about the records: a 404 for a patient nobody has.
      const patientKey = await guard.confirmPatient(access(request), patient);
      const { grant } = await breakGlass.declare(principal(request), record, patientKey, reason, ttlMs);
      return reply.status(201).header('location', `/break-glass/${grant.id}`).send(grantView(grant, now()));
    },
  );

  app.get<{ Querystring: { limit?: number } }>(
    '/break-glass',
    {
      config: { roles: BREAK_GLASS_REVIEWERS },
      schema: {
        tags: ['break-glass'],
        summary: 'The privacy officer’s queue: grants nobody has reviewed yet, oldest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const at = now();
      return { grants: (await breakGlass.unreviewed(request.query.limit)).map((g) => grantView(g, at)) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/break-glass/:id',
    {
      config: { roles: [...BREAK_GLASS_REVIEWERS, ...BREAK_GLASS_ROLES] },
      schema: {
        tags: ['break-glass'],
        summary: 'One grant (privacy officers see every grant, clinicians and nurses their own)',
        params: idParams,
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const p = principal(request);
      const grant = await breakGlass.get(request.params.id);
      if (!p.roles.some((r) => BREAK_GLASS_REVIEWERS.includes(r)) && grant.userId !== p.userId)
        throw forbidden('you may see only the break-glass grants you declared', {
          zh: '您只能查看本人声明的破窗授权',
          hint: 'ask your privacy officer',
        });
      return grantView(grant, now());
    },
  );

  app.post<{ Params: { id: string }; Body: { outcome: ReviewOutcome; note: string } }>(
    '/break-glass/:id/review',
    {
      config: { roles: BREAK_GLASS_REVIEWERS },
      schema: {
        tags: ['break-glass'],
        summary: 'A privacy officer reviews a grant afterwards: justified or unjustified, with a note',
        params: idParams,
        body: {
          type: 'object',
          required: ['outcome', 'note'],
          additionalProperties: false,
          properties: {
            outcome: { type: 'string', enum: [...REVIEW_OUTCOMES] },
            note: { type: 'string', minLength: 1, maxLength: 2000 },
          },
        },
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const { outcome, note } = request.body;
      const record = recorder(request);
      const reviewed = await breakGlass.review(principal(request), record, request.params.id, outcome, note);
      return grantView(reviewed.grant, now());
    },
  );

  // ---- public-health emergencies ---------------------------------------------------------------

  app.post<{
    Body: {
      reason: string;
      purposes?: string[];
      categories: string[];
      regions: string[];
      startsAt?: number | string;
      endsAt: number | string;
    };
  }>(
    '/emergencies',
    {
      config: { roles: EMERGENCY_DECLARERS },
      schema: {
        tags: ['emergency'],
        summary:
          'A regulator declares a public-health emergency (突发公共卫生事件) for purposes, data categories and regions, until endsAt',
        body: {
          type: 'object',
          required: ['reason', 'categories', 'regions', 'endsAt'],
          additionalProperties: false,
          properties: {
            reason: { type: 'string', minLength: 1, maxLength: 2000 },
            purposes: {
              type: 'array',
              minItems: 1,
              maxItems: 20,
              items: { type: 'string', maxLength: 64 },
              description: 'default public-health-emergency; HL7 PurposeOfUse codes are accepted',
            },
            categories: {
              type: 'array',
              minItems: 1,
              maxItems: DATA_CATEGORIES.length,
              items: { type: 'string', enum: [...DATA_CATEGORIES] },
            },
            regions: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: { type: 'string', pattern: '^\\d{2}(\\d{2}){0,2}$' },
              description: 'GB/T 2260 division code prefixes: 42 Hubei, 4201 Wuhan',
            },
            startsAt: instant,
            endsAt: instant,
          },
        },
        response: { 201: anyObject, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const record = recorder(request);
      const startsAt = b.startsAt === undefined ? now() : parseInstant(b.startsAt, 'startsAt');
      const endsAt = parseInstant(b.endsAt, 'endsAt');
      if (endsAt <= Math.max(startsAt, now()))
        throw badRequest('endsAt must be later than startsAt and than now', {
          path: 'body/endsAt',
          zh: 'endsAt 须晚于 startsAt 和当前时间',
        });
      const { declaration } = await emergencies.declare(principal(request), record, {
        reason: b.reason,
        ...(b.purposes ? { purposes: b.purposes.map((p, i) => parsePurpose(p, `body/purposes/${i}`)) } : {}),
        categories: b.categories,
        regions: b.regions,
        startsAt,
        durationMs: endsAt - startsAt,
      });
      return reply
        .status(201)
        .header('location', `/emergencies/${declaration.id}`)
        .send(emergencyView(declaration));
    },
  );

  app.get(
    '/emergencies',
    {
      schema: {
        tags: ['emergency'],
        summary: 'The public-health emergencies in force now',
        response: { 200: anyObject },
      },
    },
    async () => ({ emergencies: emergencies.active().map(emergencyView) }),
  );

  app.post<{ Params: { id: string } }>(
    '/emergencies/:id/end',
    {
      config: { roles: EMERGENCY_DECLARERS },
      schema: {
        tags: ['emergency'],
        summary: 'A regulator ends an emergency before its time',
        params: idParams,
        response: { 200: anyObject, ...errors },
      },
    },
    async (request) => {
      const record = recorder(request);
      const { audit } = await emergencies.end(principal(request), record, request.params.id);
      return { id: request.params.id, endedAt: iso(audit.time) };
    },
  );
}
