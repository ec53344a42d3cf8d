import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/index.js';
import type { System } from './system.js';
import { VERSION } from './version.js';

/** The HTTP server over an open system, with every module's routes. */
export function createServer(system: System, logger: Logger): Promise<FastifyInstance> {
  const { config } = system;
  return buildServer({
    logger,
    store: system.store,
    directory: system.directory,
    authenticator: system.authenticator,
    tenantId: system.tenantId,
    version: VERSION,
    role: config.role,
    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
  });
}
