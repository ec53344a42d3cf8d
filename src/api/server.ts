import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { newRequestId, type TenantId } from '../core/index.js';
import type { Authenticator, Directory } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { installAuth } from './plugins/auth.js';
import { installErrorHandling } from './plugins/errors.js';
import { installRequestLogging } from './plugins/logging.js';
import { installOpenApi } from './plugins/openapi.js';
import { installSecurityHeaders } from './plugins/security-headers.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import './types.js';

export interface ServerDeps {
  logger: Logger;
  store: Store;
  directory: Directory;
  authenticator: Authenticator;
  tenantId: TenantId;
  version: string;
  role: string;
  publicUrl: string;
  bodyLimitBytes: number;
  /** Trust X-Forwarded-* from a reverse proxy (for the client address used by login rate limits). */
  trustProxy?: boolean;
}

/** Route modules a later module adds: each gets the app and registers its routes. */
export type RouteModule = (app: FastifyInstance) => Promise<void>;

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

export async function buildServer(
  deps: ServerDeps,
  routeModules: readonly RouteModule[] = [],
): Promise<FastifyInstance> {
  let shuttingDown = false;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: deps.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    // A caller's request id is kept when it is a sane token (for tracing across systems), else ours.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
  });
  app.addContentTypeParser(
    ['application/fhir+json', 'application/json-patch+json'],
    { parseAs: 'string' },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        const error = new Error('invalid JSON') as Error & { code: string; statusCode: number };
        error.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
        error.statusCode = 400;
        done(error, undefined);
      }
    },
  );
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  // Responses that finish during shutdown close their connection, so keep-alive clients do not
  // hold the process open until their idle timeout.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });

  installErrorHandling(app);
  installRequestLogging(app);
  installSecurityHeaders(app);
  installAuth(app, deps.authenticator, deps.tenantId, ['/docs']);
  await installOpenApi(app, deps.version, deps.publicUrl);

  await healthRoutes(app, {
    store: deps.store,
    version: deps.version,
    role: deps.role,
    isShuttingDown: () => shuttingDown,
  });
  await authRoutes(app, deps);
  await adminRoutes(app, deps);
  for (const routes of routeModules) await routes(app);
  return app;
}
