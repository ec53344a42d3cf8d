export { buildServer, type RouteModule, type ServerDeps } from './server.js';
export { ledgerRoutes, type LedgerRouteDeps } from './routes/ledger.js';
export { toCustodiaError, toOperationOutcome, toProblem, type Problem } from './problem.js';
export { LOG_REDACT_PATHS } from './plugins/logging.js';
export { fhirRoutes, access, type FhirDeps } from './routes/fhir.js';
export { patientIndexRoutes } from './routes/patient-index.js';
export { catalogRoutes, type CatalogRouteDeps } from './routes/catalog.js';
export { consentRoutes, type ConsentRouteDeps } from './routes/consent.js';
export { portalRoutes, type PortalDeps } from './routes/portal.js';
