/**
 * The audit ledger over HTTP: checkpoints, proofs, entry queries with their FHIR views, data
 * passports, and the C2SP tlog-witness endpoint other institutions' logs post to.
 *
 * Public (no credential): the log's key and checkpoints, consistency proofs, checking a
 * checkpoint against the log, and the witness endpoint. They carry only hashes, sizes and
 * signatures, nothing about a patient or a user, and other nodes, monitors and patients' own
 * verifiers must reach them without an account here (as public transparency logs do); the
 * witness only cosigns checkpoints signed by the log keys it is configured with. Entries, their
 * proofs and views need a login; entry queries need an oversight role.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { badRequest, notFound } from '../../core/index.js';
import type { Role } from '../../identity/index.js';
import {
  auditEventOf,
  dataPassport,
  provenanceOf,
  type Alarms,
  type CosignOutcome,
  type Ledger,
  type StoredEntry,
  formatVerifierKey,
  type Witness,
  type WitnessPeer,
} from '../../ledger/index.js';
import type { RouteModule } from '../server.js';

export interface LedgerRouteDeps {
  ledger: Ledger;
  /** This node's witness for other institutions' logs. */
  witness: Witness;
  /** The peer witnesses this log asks to cosign, and how many make the consortium's agreed state. */
  witnesses: readonly WitnessPeer[];
  quorum: number;
  /** Where the ledger and the witness raise alarms (the same instance for both). */
  alarms: Alarms;
  /** Runs one cosigning round now (the app's schedule, so rounds never overlap). */
  cosign: () => Promise<CosignOutcome[]>;
}

/** Who may search the audit trail: oversight roles, not the people being audited. */
const OVERSIGHT: readonly Role[] = ['privacy-officer', 'regulator', 'admin'];
/** Passports also serve the stewards who manage the datasets. */
const PASSPORT: readonly Role[] = [...OVERSIGHT, 'data-steward'];

const TEXT = 'text/plain; charset=utf-8';
const MAX_INDEX = Number.MAX_SAFE_INTEGER;

const indexParams = {
  type: 'object',
  required: ['index'],
  properties: { index: { type: 'integer', minimum: 0, maximum: MAX_INDEX } },
} as const;

const storedEntry = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    leafHash: { type: 'string', description: 'base64 SHA-256(0x00 || canonical)' },
    canonical: { type: 'string', description: 'the RFC 8785 canonical JSON the leaf hash covers' },
    entry: { type: 'object', additionalProperties: true },
  },
} as const;

const problemRef = { description: 'problem+json (RFC 9457)', type: 'object', additionalProperties: true };

const textResponse = (description: string) => ({
  200: { description, content: { 'text/plain': { schema: { type: 'string' } } } },
});

const asJson = (s: StoredEntry) => ({
  index: s.index,
  leafHash: Buffer.from(s.leafHash).toString('base64'),
  canonical: Buffer.from(s.bytes).toString('utf8'),
  entry: s.entry,
});

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Epoch milliseconds or an ISO 8601 date-time, for the `from`/`to` filters. */
function timeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw badRequest(`${name} must be epoch milliseconds or an ISO 8601 date-time`, {
      path: name,
      hint: 'e.g. 2026-11-23T08:00:00Z or 1795420800000',
      zh: `${name} 须为毫秒时间戳或 ISO 8601 时间`,
    });
  return ms;
}

const sendText = (reply: FastifyReply, body: string) =>
  reply.header('cache-control', 'no-cache').type(TEXT).send(body);

export function ledgerRoutes(deps: LedgerRouteDeps): RouteModule {
  const { ledger, witness, alarms } = deps;
  const witnessKeys = deps.witnesses.map((w) => w.key);

  return async (app: FastifyInstance) => {
    app.get(
      '/ledger',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary:
            "The log's origin, size and keys, and the consortium's witnesses (for stand-alone verifiers)",
          security: [],
          response: {
            200: {
              type: 'object',
              properties: {
                origin: { type: 'string' },
                size: { type: 'integer' },
                logKey: { type: 'string', description: 'note verifier key of the log' },
                witnessKey: { type: 'string', description: "this node's witness cosignature key" },
                witnesses: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      key: { type: 'string' },
                      url: { type: 'string' },
                    },
                  },
                },
                quorum: { type: 'integer' },
              },
            },
          },
        },
      },
      async () => ({
        origin: ledger.origin,
        size: ledger.size,
        logKey: ledger.verifierKey,
        witnessKey: witness.verifierKey,
        witnesses: deps.witnesses.map((w) => ({
          name: w.key.name,
          key: formatVerifierKey(w.key),
          url: w.url,
        })),
        quorum: deps.quorum,
      }),
    );

    app.get(
      '/ledger/checkpoint',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary:
            'The latest signed checkpoint (C2SP tlog-checkpoint) with the cosignatures gathered so far',
          security: [],
          response: textResponse('signed note: origin, size, root hash, signature and cosignature lines'),
        },
      },
      async (_request, reply) => {
        // The cadence signs checkpoints; only a log that never signed one signs it here.
        const latest = ledger.latestCheckpoint() ?? (await ledger.checkpoint());
        return sendText(reply, (await ledger.cosignedCheckpoint(latest.size)) ?? latest.note);
      },
    );

    app.get(
      '/ledger/checkpoint/agreed',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary:
            "The consortium's agreed state: the latest checkpoint cosigned by at least the quorum of witnesses",
          security: [],
          response: { ...textResponse('checkpoint with at least `quorum` cosignatures'), 404: problemRef },
        },
      },
      async (_request, reply) => {
        const agreed = await ledger.agreedCheckpoint(witnessKeys, Math.max(1, deps.quorum));
        if (!agreed)
          throw notFound('no checkpoint has reached the witness quorum yet', {
            hint: deps.witnesses.length
              ? 'wait for the next cosigning round, or POST /ledger/cosign as an administrator'
              : 'configure ledgerWitnesses (CUSTODIA_LEDGER_WITNESSES) and ledgerQuorum',
            zh: '尚无检查点获得足够见证者联署',
          });
        return sendText(reply, agreed.note);
      },
    );

    app.get<{ Params: { size: number } }>(
      '/ledger/checkpoints/:size',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary: 'A checkpoint the log signed, by tree size, with its cosignatures',
          security: [],
          params: {
            type: 'object',
            required: ['size'],
            properties: { size: { type: 'integer', minimum: 0, maximum: MAX_INDEX } },
          },
          response: { ...textResponse('signed note'), 404: problemRef },
        },
      },
      async (request, reply) => {
        const note = await ledger.cosignedCheckpoint(request.params.size);
        if (!note)
          throw notFound(`the log signed no checkpoint of size ${request.params.size}`, {
            hint: 'GET /ledger/checkpoint for the latest one',
            zh: `日志没有大小为 ${request.params.size} 的检查点`,
          });
        return sendText(reply, note);
      },
    );

    app.get<{ Querystring: { from: number; to?: number } }>(
      '/ledger/consistency',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary: 'RFC 9162 consistency proof between two tree sizes (default `to`: the current size)',
          security: [],
          querystring: {
            type: 'object',
            required: ['from'],
            properties: {
              from: { type: 'integer', minimum: 0, maximum: MAX_INDEX },
              to: { type: 'integer', minimum: 0, maximum: MAX_INDEX },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                oldSize: { type: 'integer' },
                newSize: { type: 'integer' },
                proof: { type: 'array', items: { type: 'string' } },
              },
            },
            400: problemRef,
          },
        },
      },
      async (request) => {
        const newSize = request.query.to ?? ledger.size;
        const proof = await ledger.proveConsistency(request.query.from, newSize);
        return { oldSize: request.query.from, newSize, proof: proof.map(b64) };
      },
    );

    app.post<{ Body: string }>(
      '/ledger/checkpoints/check',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary:
            "Check a checkpoint that claims to be this log's (from a mirror, a client, a peer): 403 bad signature, 409 split view; both raise an alarm",
          security: [],
          consumes: ['text/plain'],
          body: { type: 'string', minLength: 1, maxLength: 65_536 },
          response: {
            200: { type: 'object', properties: { ok: { type: 'boolean' }, size: { type: 'integer' } } },
            403: problemRef,
            409: problemRef,
          },
        },
      },
      async (request) => {
        const checkpoint = await ledger.checkCheckpoint(request.body);
        return { ok: true, size: checkpoint.size };
      },
    );

    app.post<{ Body: string }>(
      '/ledger/witness/add-checkpoint',
      {
        config: { public: true },
        schema: {
          tags: ['ledger'],
          summary:
            "C2SP tlog-witness add-checkpoint: cosign another institution's checkpoint if it extends what this witness saw",
          security: [],
          consumes: ['text/plain'],
          body: { type: 'string', maxLength: 65_536 },
          response: textResponse('one cosignature/v1 line (409: text/x.tlog.size with the size held)'),
        },
      },
      async (request, reply) => {
        // Answers are the protocol's plain text, not problem+json: the log side parses them.
        const r = await witness.handleAddCheckpoint(request.body);
        return reply.status(r.status).type(r.contentType).send(r.body);
      },
    );

    app.post(
      '/ledger/cosign',
      {
        config: { roles: ['admin'] },
        schema: {
          tags: ['ledger'],
          summary: 'Ask the peer witnesses to cosign the latest checkpoint now',
          response: {
            200: {
              type: 'object',
              properties: {
                size: { type: 'integer' },
                agreed: { type: 'boolean' },
                outcomes: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      witness: { type: 'string' },
                      ok: { type: 'boolean' },
                      status: { type: 'integer' },
                      problem: { type: 'string' },
                    },
                  },
                },
              },
            },
          },
        },
      },
      async () => {
        const outcomes = await deps.cosign();
        const latest = ledger.latestCheckpoint();
        const agreed = await ledger.agreedCheckpoint(witnessKeys, Math.max(1, deps.quorum));
        return {
          size: latest?.size ?? 0,
          agreed: agreed !== undefined && agreed.size === latest?.size,
          outcomes: outcomes.map((o) =>
            o.ok
              ? { witness: o.witness, ok: true }
              : { witness: o.witness, ok: false, status: o.status, problem: o.problem },
          ),
        };
      },
    );

    app.get(
      '/ledger/alarms',
      {
        config: { roles: OVERSIGHT },
        schema: {
          tags: ['ledger'],
          summary: 'Recent alarms: split views, inconsistent or badly signed checkpoints, a tampered store',
          response: {
            200: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  kind: { type: 'string' },
                  origin: { type: 'string' },
                  message: { type: 'string' },
                  zh: { type: 'string' },
                  at: { type: 'integer' },
                  evidence: { type: 'object', additionalProperties: true },
                },
              },
            },
          },
        },
      },
      async () => alarms.recent(),
    );

    app.get<{
      Querystring: {
        patient?: string;
        actor?: string;
        action?: string;
        kind?: string;
        from?: string;
        to?: string;
        after?: number;
        limit?: number;
      };
    }>(
      '/ledger/entries',
      {
        config: { roles: OVERSIGHT },
        schema: {
          tags: ['ledger'],
          summary:
            'Search the audit trail by patient token, actor, action, kind and time; oldest first, paged',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              patient: { type: 'string', minLength: 8, maxLength: 256, description: 'keyed patient token' },
              actor: { type: 'string', minLength: 1, maxLength: 256 },
              action: { type: 'string', minLength: 1, maxLength: 256 },
              kind: { type: 'string', minLength: 1, maxLength: 64 },
              from: { type: 'string', description: 'inclusive; epoch ms or ISO 8601' },
              to: { type: 'string', description: 'exclusive; epoch ms or ISO 8601' },
              after: { type: 'integer', minimum: 0, description: 'the `next` of the previous page' },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: { entries: { type: 'array', items: storedEntry }, next: { type: 'integer' } },
            },
            400: problemRef,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const from = timeParam('from', q.from);
        const to = timeParam('to', q.to);
        const page = await ledger.query({
          ...(q.patient === undefined ? {} : { patient: q.patient }),
          ...(q.actor === undefined ? {} : { actor: q.actor }),
          ...(q.action === undefined ? {} : { action: q.action }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(q.after === undefined ? {} : { after: q.after }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
        });
        return {
          entries: page.entries.map(asJson),
          ...(page.next === undefined ? {} : { next: page.next }),
        };
      },
    );

    app.get<{ Params: { index: number } }>(
      '/ledger/entries/:index',
      {
        config: { roles: OVERSIGHT },
        schema: {
          tags: ['ledger'],
          summary: 'One entry with its canonical bytes and leaf hash',
          params: indexParams,
          response: { 200: storedEntry, 404: problemRef },
        },
      },
      async (request) => asJson(await ledger.get(request.params.index)),
    );

    app.get<{ Params: { index: number }; Querystring: { treeSize?: number } }>(
      '/ledger/entries/:index/proof',
      {
        schema: {
          tags: ['ledger'],
          summary:
            'Inclusion proof of an entry in a signed checkpoint (default: the latest); hashes only, any logged-in user',
          params: indexParams,
          querystring: {
            type: 'object',
            properties: { treeSize: { type: 'integer', minimum: 1, maximum: MAX_INDEX } },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                index: { type: 'integer' },
                treeSize: { type: 'integer' },
                leafHash: { type: 'string' },
                path: { type: 'array', items: { type: 'string' } },
                checkpoint: { type: 'string' },
              },
            },
            400: problemRef,
            404: problemRef,
          },
        },
      },
      async (request) => {
        const proof = await ledger.proveInclusion(request.params.index, request.query.treeSize);
        return {
          index: proof.index,
          treeSize: proof.treeSize,
          leafHash: b64(proof.leafHash),
          path: proof.path.map(b64),
          checkpoint: (await ledger.cosignedCheckpoint(proof.treeSize)) ?? proof.checkpoint,
        };
      },
    );

    app.get<{ Params: { index: number } }>(
      '/ledger/entries/:index/audit-event',
      {
        config: { roles: OVERSIGHT },
        schema: {
          tags: ['ledger'],
          summary: 'The entry as a FHIR R4 AuditEvent',
          params: indexParams,
          response: { 404: problemRef },
        },
      },
      async (request, reply) => {
        const stored = await ledger.get(request.params.index);
        return reply.type('application/fhir+json; charset=utf-8').send(auditEventOf(stored, ledger.origin));
      },
    );

    app.get<{ Params: { index: number } }>(
      '/ledger/entries/:index/provenance',
      {
        config: { roles: OVERSIGHT },
        schema: {
          tags: ['ledger'],
          summary: 'A write entry as a FHIR R4 Provenance (404 for entries that are not writes)',
          params: indexParams,
          response: { 404: problemRef },
        },
      },
      async (request, reply) => {
        const stored = await ledger.get(request.params.index);
        const provenance = provenanceOf(stored, ledger.origin);
        if (!provenance)
          throw notFound(
            `entry ${stored.index} is a ${stored.entry.kind}, not a write: it has no Provenance`,
            {
              hint: 'use /ledger/entries/{index}/audit-event for every kind of entry',
              zh: `第 ${stored.index} 条不是写入记录，没有 Provenance`,
            },
          );
        return reply.type('application/fhir+json; charset=utf-8').send(provenance);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/ledger/datasets/:id/passport',
      {
        config: { roles: PASSPORT },
        schema: {
          tags: ['ledger'],
          summary:
            "A dataset's data passport: its chain of custody from sources through transformations to releases",
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
          },
          response: { 404: problemRef },
        },
      },
      async (request) => {
        const passport = await dataPassport(ledger, request.params.id);
        if (passport.chain.every((n) => n.events.length === 0))
          throw notFound(`the ledger holds no events of dataset ${request.params.id}`, {
            hint: 'datasets appear once a dataset-event (collection, de-identification, release…) is recorded',
            zh: `账本中没有数据集 ${request.params.id} 的记录`,
          });
        return passport;
      },
    );
  };
}
