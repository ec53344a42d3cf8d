import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  buildServer,
  catalogRoutes,
  consentRoutes,
  deidRoutes,
  fhirRoutes,
  ledgerRoutes,
  patientIndexRoutes,
  policyRoutes,
  portalRoutes,
} from '../api/index.js';
import { CosigningSchedule } from '../ledger/index.js';
import { witnessPeers, type System } from './system.js';
import { VERSION } from './version.js';

const CATALOG_REFRESH_MS = 30_000;

/** The HTTP server over an open system, with every module's routes. */
export async function createServer(system: System, logger: Logger): Promise<FastifyInstance> {
  const { config } = system;
  const witnesses = witnessPeers(config);
  // Cosignatures are gathered by the serving process only (CLI commands open the ledger too).
  const cosigning = new CosigningSchedule(system.ledger, witnesses, (outcomes, size) => {
    for (const o of outcomes.filter((x) => !x.ok))
      logger.warn(
        { event: 'ledger-cosign', witness: o.witness, size, problem: o.ok ? '' : o.problem },
        'cosigning failed',
      );
  });
  // Alarms carry checkpoints and hashes as evidence, never PHI: safe to log in full.
  const unsubscribe = system.ledgerAlarms.on((alarm) =>
    logger.error({ event: 'ledger-alarm', ...alarm }, 'ledger alarm'),
  );
  const app = await buildServer(
    {
      logger,
      store: system.store,
      directory: system.directory,
      authenticator: system.authenticator,
      tenantId: system.tenantId,
      version: VERSION,
      role: config.role,
      publicUrl: config.publicUrl,
      bodyLimitBytes: config.bodyLimitBytes,
    },
    [
      (app) =>
        fhirRoutes(app, {
          guard: system.guard,
          registry: system.records.registry,
          publicUrl: config.publicUrl,
          version: VERSION,
        }),
      (app) => patientIndexRoutes(app, { guard: system.guard }),
      (app) =>
        consentRoutes(app, {
          consent: system.consent,
          guard: system.guard,
          directory: system.directory,
          tenantId: system.tenantId,
        }),
      (app) =>
        portalRoutes(app, {
          guard: system.guard,
          consent: system.consent,
          ledger: system.ledger,
          directory: system.directory,
          tenantId: system.tenantId,
        }),
      ledgerRoutes({
        ledger: system.ledger,
        witness: system.witness,
        witnesses: witnesses,
        quorum: config.ledgerQuorum,
        alarms: system.ledgerAlarms,
        cosign: () => cosigning.round(),
      }),
      deidRoutes({ projects: system.deidProjects }),
      policyRoutes({
        policies: system.policies,
        breakGlass: system.breakGlass,
        emergencies: system.emergencies,
        guard: system.guard,
        clock: system.clock,
      }),
      catalogRoutes({
        catalog: system.catalog,
        collections: system.collections,
        schemes: system.schemes,
        ledger: system.ledger,
        clock: system.clock,
      }),
    ],
  );
  cosigning.start(Math.max(1000, config.ledgerCheckpointMs));
  // The catalog's collection assets follow the clinical store (volumes, grades) without a cost on writes.
  system.collections.start(CATALOG_REFRESH_MS, (e) => logger.warn({ err: e }, 'catalog refresh failed'));
  app.addHook('onClose', async () => {
    unsubscribe();
    await cosigning.stop();
    await system.collections.stop();
  });
  return app;
}
