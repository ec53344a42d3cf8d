import type { FastifyInstance } from 'fastify';
import { STRONG_IDENTIFIER_KINDS, type StrongIdentifierKind } from '../../crypto/index.js';
import type { Guard } from '../../guard/index.js';
import { access } from './fhir.js';

/**
 * The cross-institution patient index (统一调阅编码). The identifier travels in the body, never
 * in a URL (URLs end up in proxies' logs); the answer carries the keyed lookup code, never the ID.
 */
export async function patientIndexRoutes(app: FastifyInstance, deps: { guard: Guard }): Promise<void> {
  app.post<{ Body: { kind: StrongIdentifierKind; value: string } }>(
    '/patient-index/lookup',
    {
      config: { roles: ['clinician', 'nurse', 'data-steward', 'admin', 'privacy-officer'] },
      schema: {
        tags: ['patient-index'],
        summary: 'Find the Patient records that share a strong identifier, at every institution',
        body: {
          type: 'object',
          required: ['kind', 'value'],
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: [...STRONG_IDENTIFIER_KINDS] },
            value: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
      },
    },
    async (request) => deps.guard.linkedPatients(access(request), request.body.kind, request.body.value),
  );
}
