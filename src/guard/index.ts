/**
 * guard: THE enforcement pipeline. Every read, search, export and computation over clinical data
 * goes through it: authorize → fetch → open → (obligations) → record → respond.
 */
export { Guard, type GuardOptions, type ReadResource, type Page } from './guard.js';
export { AuditTokens, type Access } from './audit.js';
export {
  decideErase,
  decideReidentify,
  decideRead,
  decideWrite,
  readableOrganizations,
  type Decision,
  type Denial,
  type DenyCode,
  type ResourceFacts,
} from './decision.js';
export { ConsentGate } from './consent-gate.js';
export { DeidProjects, MAX_REIDENTIFY_TOKENS, type DeidProjectKeys } from './reidentify.js';
