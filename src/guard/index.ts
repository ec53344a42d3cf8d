/**
 * guard: THE enforcement pipeline. Every read, search, export and computation over clinical data
 * goes through it: authorize → fetch → open → (obligations) → record → respond.
 */
export { Guard, type GuardOptions, type ReadResource, type Page } from './guard.js';
export { AuditTokens, type Access } from './audit.js';
export {
  decideDirectoryRead,
  decideReidentify,
  searchScopeOf,
  type Decision,
  type Denial,
  type ResourceFacts,
} from './decision.js';
export { type PolicyOptions } from './policy-check.js';
export { ConsentGate } from './consent-gate.js';
export { DeidProjects, MAX_REIDENTIFY_TOKENS, type DeidProjectKeys } from './reidentify.js';
export { CARE_SOURCES, DEFAULT_CARE_WINDOW_DAYS, type CareSource } from './care-team.js';
