import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.js';

export interface HealthDeps {
  store: Store;
  version: string;
  role: string;
  isShuttingDown: () => boolean;
}

/** Liveness (`/health`: the process answers) and readiness (`/health/ready`: it can serve data). */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, version: { type: 'string' }, role: { type: 'string' } },
          },
        },
      },
    },
    async () => ({ status: 'ok', version: deps.version, role: deps.role }),
  );
  app.get(
    '/health/ready',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers and the server is not shutting down',
      },
    },
    async (_request, reply) => {
      if (deps.isShuttingDown())
        return reply.status(503).header('retry-after', '5').send({ status: 'shutting-down' });
      await deps.store.ping();
      return { status: 'ready', database: deps.store.dialect };
    },
  );
}
