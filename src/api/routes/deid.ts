import type { FastifyInstance } from 'fastify';
import { MAX_REIDENTIFY_TOKENS, type DeidProjects } from '../../guard/index.js';
import type { RouteModule } from '../server.js';
import { access } from './fhir.js';

export interface DeidRouteDeps {
  projects: DeidProjects;
}

/**
 * Re-identification (重标识) of a de-identification project's reversible tokens: a privacy officer
 * or data steward who declares a purpose (X-Purpose-Of-Use) gets the values back; every attempt is
 * in the ledger, the tokens named only by their SHA-256 digests.
 */
export const deidRoutes =
  (deps: DeidRouteDeps): RouteModule =>
  async (app: FastifyInstance) => {
    app.post<{ Body: { project: string; tokens: string[] } }>(
      '/deid/reidentify',
      {
        schema: {
          tags: ['deid'],
          summary: "Reverse a de-identification project's tokens (recorded in the ledger)",
          body: {
            type: 'object',
            required: ['project', 'tokens'],
            additionalProperties: false,
            properties: {
              project: { type: 'string', minLength: 1, maxLength: 64 },
              tokens: {
                type: 'array',
                minItems: 1,
                maxItems: MAX_REIDENTIFY_TOKENS,
                items: { type: 'string', minLength: 1, maxLength: 4096 },
              },
            },
          },
        },
      },
      async (request, reply) => {
        const values = await deps.projects.reidentify(
          access(request),
          request.body.project,
          request.body.tokens,
        );
        // The values are identifying: no cache may keep them.
        return reply.header('cache-control', 'no-store').send({
          project: request.body.project,
          values: request.body.tokens.map((token, i) => ({ token, value: values[i] })),
        });
      },
    );
  };
