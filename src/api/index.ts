export { buildServer, type RouteModule, type ServerDeps } from './server.js';
export { toCustodiaError, toOperationOutcome, toProblem, type Problem } from './problem.js';
export { LOG_REDACT_PATHS } from './plugins/logging.js';
