/**
 * The patient portal (seed 002 §7.3.3): a patient sees their own records at every hospital
 * (through guard, like everyone; the patient index links them), who accessed their data (the
 * ledger, searched by the keyed token of each of their records), and files and follows
 * complaints. Consents are under `/consents/{patient}`; `/portal/me` names the patient id
 * to use there and the minors the caller is guardian of.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound, type TenantId } from '../../core/index.js';
import { COMPLAINT_TOPICS, type ComplaintTopic, type ConsentService } from '../../consent/index.js';
import type { Guard } from '../../guard/index.js';
import type { Directory } from '../../identity/index.js';
import type { Ledger, LedgerQuery, PatientToken, StoredEntry } from '../../ledger/index.js';
import { access } from './fhir.js';

export interface PortalDeps {
  guard: Guard;
  consent: ConsentService;
  ledger: Ledger;
  directory: Directory;
  tenantId: TenantId;
}

const tags = ['portal'];
const patientOnly = { roles: ['patient'] as const };

/** The Patient id of the signed-in patient. */
function ownPatient(request: FastifyRequest): string {
  const ref = request.principal?.patientRef;
  if (!ref)
    throw forbidden('this account is not linked to a patient record', {
      zh: '该账户未关联患者记录',
      hint: 'ask the hospital to link your account to your patient record',
    });
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/**
 * The entries about any of a patient's records (one token each), oldest first: the first `limit`
 * after `after` of each token's entries, merged. An entry about two of them comes once.
 */
async function accessLog(
  ledger: Ledger,
  tokens: readonly PatientToken[],
  q: Omit<LedgerQuery, 'patient'> & { limit: number },
): Promise<{ entries: StoredEntry[]; next?: number }> {
  const pages = await Promise.all(tokens.map((patient) => ledger.query({ ...q, patient })));
  const byIndex = new Map(pages.flatMap((p) => p.entries).map((e) => [e.index, e]));
  const merged = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const entries = merged.slice(0, q.limit);
  // Each token's page holds its first `limit`: what lies beyond one comes after all of these.
  const more = merged.length > q.limit || pages.some((p) => p.next !== undefined);
  return more && entries.length > 0 ? { entries, next: entries[entries.length - 1]!.index } : { entries };
}

export async function portalRoutes(app: FastifyInstance, deps: PortalDeps): Promise<void> {
  const { guard, consent, ledger, directory, tenantId } = deps;
  const organizationNames = async () =>
    new Map(
      (await directory.listOrganizations(tenantId)).map((o) => [
        o.id as string,
        { name: o.name, nameZh: o.nameZh },
      ]),
    );

  app.get(
    '/portal/me',
    { schema: { tags, summary: 'The patient id to use for my consent, and the minors I am guardian of' } },
    async (request) => {
      const a = access(request);
      const ref = a.principal.patientRef;
      return {
        patient: ref && a.principal.roles.includes('patient') ? ref.slice(ref.lastIndexOf('/') + 1) : null,
        wards: await consent.wards(a),
      };
    },
  );

  app.get<{ Querystring: { _count?: number; _offset?: number } }>(
    '/portal/records',
    {
      config: patientOnly,
      schema: {
        tags,
        summary: 'My records: my patient compartment, through guard (each read is in the ledger)',
        querystring: {
          type: 'object',
          properties: {
            _count: { type: 'integer', minimum: 1, maximum: 500 },
            _offset: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (request) => {
      const count = request.query._count ?? 100;
      const offset = request.query._offset ?? 0;
      // The portal is the patient's own request: that is its purpose unless another is declared.
      const own = { purpose: 'patient-request', ...access(request) };
      // Every record of the patient: the patient index links the same person at other hospitals.
      const { resources, total } = await guard.everything(
        own,
        ownPatient(request),
        { count, offset },
        { linked: true },
      );
      return { total, offset, count, resources };
    },
  );

  app.get<{ Querystring: { after?: number; limit?: number; from?: number; to?: number } }>(
    '/portal/access-log',
    {
      config: patientOnly,
      schema: {
        tags,
        summary:
          'Who accessed my data: who, which organization, when, for what purpose, permitted or denied (oldest first, paged by next)',
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
            from: { type: 'integer', minimum: 0 },
            to: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (request) => {
      ownPatient(request); // 403 unless the account is linked to a patient record
      const q = request.query;
      const page = await accessLog(ledger, await guard.ownPatientTokens(access(request)), {
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        limit: q.limit ?? 100,
      });
      const names = await organizationNames();
      return {
        entries: page.entries.map(({ index, entry }) => ({
          index,
          time: new Date(entry.time).toISOString(),
          kind: entry.kind,
          actor: entry.actor,
          organization: { id: entry.organization, ...names.get(entry.organization) },
          action: entry.action,
          purpose: entry.purpose ?? null,
          decision: entry.decision ?? 'permit',
          reason: entry.reason ?? null,
          /** The inclusion proof of this entry, against the signed checkpoints. */
          proof: `/ledger/entries/${index}/proof`,
        })),
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    },
  );

  app.get(
    '/portal/complaints',
    { config: patientOnly, schema: { tags, summary: 'My complaints and their status' } },
    async (request) => ({ complaints: await consent.complaintsOf(access(request), ownPatient(request)) }),
  );

  app.post<{ Body: { topic: ComplaintTopic; text: string; organization?: string; ledgerIndex?: number } }>(
    '/portal/complaints',
    {
      config: patientOnly,
      schema: {
        tags,
        summary:
          'File a complaint: about an access in my history (ledgerIndex), or about an organization; it goes to that organization',
        body: {
          type: 'object',
          required: ['topic', 'text'],
          additionalProperties: false,
          properties: {
            topic: { type: 'string', enum: [...COMPLAINT_TOPICS] },
            text: { type: 'string', minLength: 1, maxLength: 4000 },
            organization: { type: 'string', maxLength: 128 },
            ledgerIndex: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (request, reply) => {
      const a = access(request);
      const patient = ownPatient(request);
      const { topic, text, ledgerIndex } = request.body;
      let organization = request.body.organization ?? a.principal.orgId;
      if (ledgerIndex !== undefined) {
        // Only an access to this patient's data: the entry must name one of their tokens.
        const tokens = await guard.ownPatientTokens(a);
        const stored = await ledger.get(ledgerIndex).catch(() => undefined);
        if (!stored || !stored.entry.targets.some((t) => tokens.includes(t)))
          throw notFound(`entry ${ledgerIndex} is not in your access history`, {
            zh: `第 ${ledgerIndex} 条记录不在您的访问记录中`,
            hint: 'pick an entry from GET /portal/access-log',
          });
        organization = stored.entry.organization;
      } else if (request.body.organization !== undefined) {
        await directory.getOrganization(tenantId, organization);
      }
      const complaint = await consent.fileComplaint(a, patient, {
        topic,
        text,
        organization,
        ledgerIndex,
      });
      return reply.status(201).send(complaint);
    },
  );
}
