/**
 * Dynamic consent over HTTP. `/consents/{patient}/…` serves the patient and their guardians
 * (the consent service decides who may act, and records refusals); guardianship is registered by
 * the privacy officer of the organization holding the patient, who reads the birth date through
 * guard. `/consent-registry/…` is where sharing and de-identification record derived data and
 * screen releases; `/complaints` is the privacy officer's side of patients' complaints.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound, type TenantId } from '../../core/index.js';
import {
  COMPLAINT_STATUSES,
  DERIVED_KINDS,
  PURPOSE_CODES,
  parsePurpose,
  type ComplaintStatus,
  type ConsentService,
  type DerivedKind,
  type RawRule,
  type UseOfData,
} from '../../consent/index.js';
import type { Guard } from '../../guard/index.js';
import { ORGANIZATION_TYPES, type Directory } from '../../identity/index.js';
import { access } from './fhir.js';

export interface ConsentRouteDeps {
  consent: ConsentService;
  guard: Guard;
  directory: Directory;
  tenantId: TenantId;
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const ID = '^[A-Za-z0-9\\-.]{1,64}$';
const tags = ['consent'];
const patientParams = {
  type: 'object',
  required: ['patient'],
  properties: { patient: { type: 'string', pattern: ID } },
} as const;
const values = { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', maxLength: 128 } };
const instant = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', maxLength: 40 },
  ],
};

/** One rule as a client writes it; the consent module checks the values against the scheme. */
export const ruleSchema = {
  type: 'object',
  required: ['effect'],
  additionalProperties: false,
  properties: {
    effect: { type: 'string', enum: ['grant', 'deny'] },
    categories: values,
    labels: values,
    grades: values,
    purposes: {
      ...values,
      description: `HL7 PurposeOfUse codes or Custodia purposes: ${PURPOSE_CODES.join(', ')}`,
    },
    recipient: {
      type: 'object',
      required: ['kind'],
      additionalProperties: false,
      properties: {
        kind: { type: 'string', enum: ['any', 'organization-type', 'organization', 'project', 'agreement'] },
        values,
      },
    },
    period: {
      type: 'object',
      additionalProperties: false,
      properties: { start: instant, end: instant },
    },
  },
} as const;

const recipientSchema = {
  type: 'object',
  required: ['organization'],
  additionalProperties: false,
  properties: {
    organization: { type: 'string', maxLength: 128 },
    organizationType: { type: 'string', enum: [...ORGANIZATION_TYPES] },
    project: { type: 'string', maxLength: 128 },
    agreement: { type: 'string', maxLength: 128 },
  },
} as const;

const useSchemaProperties = {
  purpose: { type: 'string', maxLength: 64 },
  recipient: recipientSchema,
  grades: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', maxLength: 128 } },
  labels: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } },
} as const;

interface UseBody {
  purpose: string;
  recipient: UseOfData['recipient'];
  grades: string[];
  labels?: string[];
}

const useOf = (body: UseBody): UseOfData => ({
  purpose: parsePurpose(body.purpose),
  recipient: body.recipient,
  grades: body.grades,
  labels: body.labels ?? [],
});

export async function consentRoutes(app: FastifyInstance, deps: ConsentRouteDeps): Promise<void> {
  const { consent, guard, directory, tenantId } = deps;
  const actor = (request: FastifyRequest) => access(request);

  app.get(
    '/consents/receipt-keys',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'The public keys (JWK Set) consent receipts are signed with',
        security: [],
      },
    },
    async () => consent.receiptKeys(),
  );

  app.post<{ Body: { receipt: string } }>(
    '/consents/receipts/verify',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Verify a consent receipt (JWS) and read its claims',
        security: [],
        body: {
          type: 'object',
          required: ['receipt'],
          additionalProperties: false,
          properties: { receipt: { type: 'string', maxLength: 8192 } },
        },
      },
    },
    async (request) => ({ valid: true, claims: await consent.verifyReceipt(request.body.receipt) }),
  );

  app.get<{ Params: { patient: string } }>(
    '/consents/:patient',
    {
      schema: {
        tags,
        summary: 'The consent in force: rules in order, version, and which rule wins where rules overlap',
        description:
          "`linked` lists the rules on the same person's records at other hospitals (the patient index links them): they decide together with these, for every record of the person.",
        params: patientParams,
      },
    },
    async (request) => consent.view(actor(request), request.params.patient),
  );

  app.post<{ Params: { patient: string }; Body: { rules: RawRule[] } }>(
    '/consents/:patient/rules',
    {
      schema: {
        tags,
        summary: 'Grant or deny: add rules (one new signed version; the receipt is in the answer)',
        params: patientParams,
        body: {
          type: 'object',
          required: ['rules'],
          additionalProperties: false,
          properties: { rules: { type: 'array', minItems: 1, maxItems: 1000, items: ruleSchema } },
        },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await consent.addRules(actor(request), request.params.patient, request.body.rules)),
  );

  app.post<{ Params: { patient: string }; Body: { rules?: string[]; allGrants?: boolean } }>(
    '/consents/:patient/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke rules by id, or every grant: in force from the very next request',
        params: patientParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rules: { type: 'array', minItems: 1, maxItems: 10_000, items: { type: 'string', maxLength: 64 } },
            allGrants: { type: 'boolean' },
          },
        },
      },
    },
    async (request) => {
      const { rules, allGrants } = request.body;
      if ((rules === undefined) === (allGrants !== true))
        throw badRequest('give either rules (ids to revoke) or allGrants: true', {
          zh: '请提供 rules（要撤回的规则标识）或 allGrants: true，二者选一',
        });
      return consent.revoke(actor(request), request.params.patient, rules ?? 'all-grants');
    },
  );

  app.get<{ Params: { patient: string } }>(
    '/consents/:patient/history',
    {
      schema: { tags, summary: 'Every version, newest first, each with its receipt', params: patientParams },
    },
    async (request) => ({ versions: await consent.history(actor(request), request.params.patient) }),
  );

  app.get<{ Params: { patient: string; version: number } }>(
    '/consents/:patient/versions/:version/receipt',
    {
      schema: {
        tags,
        summary: "A version's consent receipt (JWS), verified",
        params: {
          type: 'object',
          required: ['patient', 'version'],
          properties: {
            patient: { type: 'string', pattern: ID },
            version: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request) => consent.receipt(actor(request), request.params.patient, request.params.version),
  );

  app.post<{
    Params: { patient: string };
    Body: {
      grade: string;
      purpose: string;
      labels?: string[];
      recipient: UseOfData['recipient'];
      time?: number;
    };
  }>(
    '/consents/:patient/evaluate',
    {
      schema: {
        tags,
        summary: 'What the consent decides for one use, with the deciding rule and why the others lost',
        params: patientParams,
        body: {
          type: 'object',
          required: ['grade', 'purpose', 'recipient'],
          additionalProperties: false,
          properties: {
            grade: { type: 'string', maxLength: 128 },
            purpose: { type: 'string', maxLength: 64 },
            labels: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } },
            recipient: recipientSchema,
            time: { type: 'integer', minimum: 0 },
          },
        },
      },
    },
    async (request) => {
      const b = request.body;
      return consent.explain(actor(request), {
        patient: request.params.patient,
        grade: b.grade,
        purpose: parsePurpose(b.purpose),
        labels: b.labels ?? [],
        recipient: b.recipient,
        time: b.time,
      });
    },
  );

  app.get<{ Params: { patient: string } }>(
    '/consents/:patient/fhir',
    { schema: { tags, summary: 'The consent as a FHIR R4 Consent with provisions', params: patientParams } },
    async (request, reply) =>
      reply.type(FHIR_JSON).send(await consent.exportFhir(actor(request), request.params.patient)),
  );

  app.put<{ Params: { patient: string } }>(
    '/consents/:patient/fhir',
    {
      schema: {
        tags,
        summary: 'Import a FHIR R4 Consent: its provisions replace the rules in force (one new version)',
        params: patientParams,
      },
    },
    async (request) => consent.importFhir(actor(request), request.params.patient, request.body),
  );

  app.get<{ Params: { patient: string } }>(
    '/consents/:patient/derived',
    {
      schema: {
        tags,
        summary:
          'Datasets, agreements and projects that included the patient, flagged where consent was withdrawn',
        params: patientParams,
      },
    },
    async (request) => ({ inclusions: await consent.derivedFor(actor(request), request.params.patient) }),
  );

  app.post<{ Params: { patient: string }; Body: { guardian: string; relationship: string } }>(
    '/consents/:patient/guardians',
    {
      config: { roles: ['privacy-officer', 'admin'] },
      schema: {
        tags,
        summary:
          "Register a minor's guardian (until the minor turns 18; the birth date is read through guard)",
        params: patientParams,
        body: {
          type: 'object',
          required: ['guardian', 'relationship'],
          additionalProperties: false,
          properties: {
            guardian: { type: 'string', maxLength: 128, description: 'user id or username' },
            relationship: { type: 'string', maxLength: 32 },
          },
        },
      },
    },
    async (request, reply) => {
      const a = actor(request);
      const { patient } = request.params;
      const user =
        (await directory.findUser(tenantId, request.body.guardian)) ??
        (await directory.getUser(tenantId, request.body.guardian).catch(() => undefined));
      if (!user)
        throw notFound('the guardian is not a known user', {
          zh: '未找到该监护人用户',
          hint: 'create the guardian’s account first',
        });
      // Registering a guardian is consent administration: the birth date is read for that purpose.
      const read = await guard.read({ purpose: 'operations', ...a }, 'Patient', patient);
      const birthDate = (JSON.parse(read.json.toString('utf8')) as { birthDate?: string }).birthDate;
      if (!birthDate)
        throw badRequest(
          'the Patient record has no birth date: age, and so guardianship, cannot be derived',
          {
            zh: '患者记录缺少出生日期，无法判断是否未成年',
            hint: 'add Patient.birthDate first',
          },
        );
      const g = await consent.registerGuardian(a, patient, {
        guardian: user.id,
        relationship: request.body.relationship,
        birthDate,
      });
      return reply.status(201).send(g);
    },
  );

  // Derived data: what sharing and de-identification call.
  const registryRoles = { roles: ['data-steward', 'admin'] as const };

  app.post<{ Body: UseBody & { kind: DerivedKind; id: string; patients: string[] } }>(
    '/consent-registry/inclusions',
    {
      config: registryRoles,
      schema: {
        tags,
        summary: 'Record that a dataset, agreement or project included these patients',
        body: {
          type: 'object',
          required: ['kind', 'id', 'purpose', 'recipient', 'grades', 'patients'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: [...DERIVED_KINDS] },
            id: { type: 'string', pattern: ID },
            ...useSchemaProperties,
            patients: {
              type: 'array',
              minItems: 1,
              maxItems: 100_000,
              items: { type: 'string', pattern: ID },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { kind, id, patients } = request.body;
      const recorded = await consent.include(actor(request), { kind, id }, useOf(request.body), patients);
      return reply.status(201).send({ recorded });
    },
  );

  app.get<{ Params: { kind: DerivedKind; id: string }; Querystring: { flagged?: boolean } }>(
    '/consent-registry/:kind/:id',
    {
      config: { roles: ['data-steward', 'privacy-officer', 'admin'] },
      schema: {
        tags,
        summary: 'The patients a derived item included, with revocation flags',
        params: {
          type: 'object',
          required: ['kind', 'id'],
          properties: {
            kind: { type: 'string', enum: [...DERIVED_KINDS] },
            id: { type: 'string', pattern: ID },
          },
        },
        querystring: { type: 'object', properties: { flagged: { type: 'boolean' } } },
      },
    },
    async (request) => ({
      inclusions: await consent.inclusions.forDerived(
        request.params.kind,
        request.params.id,
        request.query.flagged === true,
      ),
    }),
  );

  app.post<{ Body: UseBody & { patients: string[]; derivedFrom?: { kind: DerivedKind; id: string } } }>(
    '/consent-registry/screen',
    {
      config: registryRoles,
      schema: {
        tags,
        summary: 'Which patients a release may include: revoked and refusing patients are excluded, with why',
        body: {
          type: 'object',
          required: ['purpose', 'recipient', 'grades', 'patients'],
          additionalProperties: false,
          properties: {
            ...useSchemaProperties,
            patients: {
              type: 'array',
              minItems: 1,
              maxItems: 100_000,
              items: { type: 'string', pattern: ID },
            },
            derivedFrom: {
              type: 'object',
              required: ['kind', 'id'],
              additionalProperties: false,
              properties: {
                kind: { type: 'string', enum: [...DERIVED_KINDS] },
                id: { type: 'string', pattern: ID },
              },
            },
          },
        },
      },
    },
    async (request) =>
      consent.screenRelease(request.body.patients, useOf(request.body), request.body.derivedFrom),
  );

  // Complaints: the handling organization's side.
  const handlers = { roles: ['privacy-officer', 'admin'] as const };

  app.get<{ Querystring: { status?: ComplaintStatus } }>(
    '/complaints',
    {
      config: handlers,
      schema: {
        tags,
        summary: "Complaints about the caller's organization",
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: [...COMPLAINT_STATUSES] } },
        },
      },
    },
    async (request) => ({
      complaints: await consent.organizationComplaints(actor(request), request.query.status),
    }),
  );

  app.patch<{ Params: { id: string }; Body: { status: ComplaintStatus } }>(
    '/complaints/:id',
    {
      config: handlers,
      schema: {
        tags,
        summary: 'Move a complaint on: received → in-review → resolved or rejected',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: ID } } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: { status: { type: 'string', enum: [...COMPLAINT_STATUSES] } },
        },
      },
    },
    async (request) => consent.setComplaintStatus(actor(request), request.params.id, request.body.status),
  );
}
