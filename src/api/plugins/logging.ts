import type { FastifyInstance } from 'fastify';

/**
 * One log line per request with the route pattern (`/fhir/Patient/:id`), never the raw URL: paths
 * and query strings can carry identifiers. Headers and bodies are never logged.
 */
export function installRequestLogging(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(unmatched)',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        user: request.principal?.userId,
      },
      'request',
    );
  });
}

/** Paths a logger may never print: credentials, tokens and anything a user typed as a secret. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'password',
  '*.password',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
  'key',
  '*.key',
];
