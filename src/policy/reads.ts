/**
 * Which request attributes a policy set reads. The decision cache keys on exactly these (and the
 * action and entity types), so two requests that differ only in facts no policy looks at (the
 * patient's id, the user's id, the minute of the hour) share one cached decision, and a policy
 * that starts reading an attribute makes it part of the key from its activation on.
 */
import type { CedarPolicyJson } from './cedar.js';

export type RequestVar = 'principal' | 'resource' | 'context';

/** Per variable: the top-level attributes read, or `whole` when the entity itself is compared. */
export interface ReadSet {
  principal: { whole: boolean; attrs: Set<string> };
  resource: { whole: boolean; attrs: Set<string> };
  context: { whole: boolean; attrs: Set<string> };
}

export const emptyReadSet = (): ReadSet => ({
  principal: { whole: false, attrs: new Set() },
  resource: { whole: false, attrs: new Set() },
  context: { whole: false, attrs: new Set() },
});

const isVar = (node: unknown): RequestVar | 'action' | undefined => {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as { Var?: unknown }).Var;
  return v === 'principal' || v === 'resource' || v === 'context' || v === 'action' ? v : undefined;
};

/** Adds what one policy reads to `reads`. */
export function collectReads(policy: CedarPolicyJson, reads: ReadSet): void {
  // `principal == User::"x"` or `principal in Group::"g"` in the scope compares the entity itself.
  if (policy.principal.op === '==' || policy.principal.op === 'in') reads.principal.whole = true;
  if (policy.resource.op === '==' || policy.resource.op === 'in') reads.resource.whole = true;
  if (
    (policy.principal.op === 'is' && policy.principal.in) ||
    (policy.resource.op === 'is' && policy.resource.in)
  ) {
    if (policy.principal.op === 'is' && policy.principal.in) reads.principal.whole = true;
    if (policy.resource.op === 'is' && policy.resource.in) reads.resource.whole = true;
  }
  for (const clause of policy.conditions) walk(clause.body, reads);
}

function walk(node: unknown, reads: ReadSet): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, reads);
    return;
  }
  const record = node as Record<string, unknown>;
  // `x.attr` and `x has attr` on a request variable: that attribute only.
  for (const op of ['.', 'has'] as const) {
    const access = record[op] as { left?: unknown; attr?: unknown } | undefined;
    if (access && typeof access === 'object' && 'left' in access) {
      const v = isVar(access.left);
      if (v !== undefined && v !== 'action') {
        const attrs = Array.isArray(access.attr) ? access.attr : [access.attr];
        if (typeof attrs[0] === 'string') reads[v].attrs.add(attrs[0]);
        return;
      }
    }
  }
  // `resource is Custodia::Dataset`: only the entity type, which every key holds already.
  const test = record.is as { left?: unknown; in?: unknown } | undefined;
  if (test && typeof test === 'object' && isVar(test.left) !== undefined && test.in === undefined) return;
  const bare = isVar(node);
  if (bare !== undefined) {
    // The variable used as a value (compared, tested with `in`, passed whole): all of it matters.
    if (bare !== 'action') reads[bare].whole = true;
    return;
  }
  for (const value of Object.values(record)) walk(value, reads);
}
