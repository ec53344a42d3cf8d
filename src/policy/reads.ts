/**
 * Which request attributes a policy set reads, and how. The decision cache keys on exactly these
 * (plus the action and the entity types), so two requests that differ only in facts no policy
 * looks at (the patient's id, the user's id, the minute of the hour) share one cached decision,
 * and a policy that starts reading an attribute makes it part of the key from its activation on.
 *
 * Two uses are narrower than the whole value: a set tested only for literal members
 * (`principal.qualifications.contains("practising-licence")`) keys on those memberships, not on
 * the set (so each licence number is not a key of its own); a number compared only with literals
 * (`context.hour < 8`) keys on the comparisons' outcomes, not on the number; two attributes
 * compared with each other (`principal.organization == resource.organization`) key on whether
 * they are equal, not on the two organizations.
 */
import type { CedarPolicyJson } from './cedar.js';

export type RequestVar = 'principal' | 'resource' | 'context';

export interface Comparison {
  op: '<' | '<=' | '>' | '>=';
  value: number;
}

export interface VarReads {
  /** The entity itself is compared or tested with `in`: every attribute and its id matter. */
  whole: boolean;
  /** Attributes whose whole value matters. */
  attrs: Set<string>;
  /** Set attributes tested only for these literal members. */
  members: Map<string, Set<string>>;
  /** Number attributes compared only with literals. */
  comparisons: Map<string, Comparison[]>;
}

/** An attribute of a request variable: `['principal', 'organization']`. */
export type Attribute = readonly [RequestVar, string];

export type ReadSet = Record<RequestVar, VarReads> & {
  /** Attribute pairs compared with each other (`principal.organization == resource.organization`). */
  equalities: (readonly [Attribute, Attribute])[];
};

const emptyVar = (): VarReads => ({
  whole: false,
  attrs: new Set(),
  members: new Map(),
  comparisons: new Map(),
});
export const emptyReadSet = (): ReadSet => ({
  principal: emptyVar(),
  resource: emptyVar(),
  context: emptyVar(),
  equalities: [],
});

type Node = Record<string, unknown>;

const isVar = (node: unknown): RequestVar | 'action' | undefined => {
  if (node === null || typeof node !== 'object') return undefined;
  const v = (node as { Var?: unknown }).Var;
  return v === 'principal' || v === 'resource' || v === 'context' || v === 'action' ? v : undefined;
};

/** `principal.roles` → ['principal', 'roles']. */
const attributeOf = (node: unknown): [RequestVar, string] | undefined => {
  if (node === null || typeof node !== 'object') return undefined;
  const access = (node as Node)['.'] as { left?: unknown; attr?: unknown } | undefined;
  if (!access || typeof access.attr !== 'string') return undefined;
  const v = isVar(access.left);
  return v === undefined || v === 'action' ? undefined : [v, access.attr];
};

const literal = (node: unknown): unknown =>
  node !== null && typeof node === 'object' && 'Value' in (node as Node) ? (node as Node).Value : undefined;

const FLIP = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;

/** Adds what one policy reads to `reads`. */
export function collectReads(policy: CedarPolicyJson, reads: ReadSet): void {
  // `principal == User::"x"` or `principal in Group::"g"` in the scope compares the entity itself.
  if (policy.principal.op === '==' || policy.principal.op === 'in') reads.principal.whole = true;
  if (policy.resource.op === '==' || policy.resource.op === 'in') reads.resource.whole = true;
  if (policy.principal.op === 'is' && policy.principal.in) reads.principal.whole = true;
  if (policy.resource.op === 'is' && policy.resource.in) reads.resource.whole = true;
  for (const clause of policy.conditions) walk(clause.body, reads);
}

function walk(node: unknown, reads: ReadSet): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) walk(n, reads);
    return;
  }
  const record = node as Node;
  if (narrowUse(record, reads)) return;
  const attribute = attributeOf(record);
  if (attribute) {
    reads[attribute[0]].attrs.add(attribute[1]);
    return;
  }
  const has = record.has as { left?: unknown; attr?: unknown } | undefined;
  if (has && typeof has === 'object') {
    const v = isVar(has.left);
    const first = Array.isArray(has.attr) ? (has.attr[0] as unknown) : has.attr;
    if (v !== undefined && v !== 'action' && typeof first === 'string') {
      reads[v].attrs.add(first);
      return;
    }
  }
  // `resource is Custodia::Dataset`: only the entity type, which every key holds already.
  const test = record.is as { left?: unknown; in?: unknown } | undefined;
  if (test && typeof test === 'object' && isVar(test.left) !== undefined && test.in === undefined) return;
  const bare = isVar(record);
  if (bare !== undefined) {
    // The variable used as a value (compared, tested with `in`, passed whole): all of it matters.
    if (bare !== 'action') reads[bare].whole = true;
    return;
  }
  for (const value of Object.values(record)) walk(value, reads);
}

/** Records a literal membership test, a literal comparison or an attribute equality; false otherwise. */
function narrowUse(record: Node, reads: ReadSet): boolean {
  for (const op of ['==', '!='] as const) {
    const call = record[op] as { left?: unknown; right?: unknown } | undefined;
    if (!call) continue;
    const left = attributeOf(call.left);
    const right = attributeOf(call.right);
    if (!left || !right) return false;
    const same = (a: Attribute, b: Attribute) => a[0] === b[0] && a[1] === b[1];
    if (
      !reads.equalities.some(
        ([a, b]) => (same(a, left) && same(b, right)) || (same(a, right) && same(b, left)),
      )
    )
      reads.equalities.push([left, right]);
    return true;
  }
  for (const op of ['contains', 'containsAny', 'containsAll'] as const) {
    const call = record[op] as { left?: unknown; right?: unknown } | undefined;
    if (!call) continue;
    const attribute = attributeOf(call.left);
    if (!attribute) return false;
    const values =
      op === 'contains'
        ? [literal(call.right)]
        : ((call.right as { Set?: unknown[] } | undefined)?.Set ?? [undefined]).map(literal);
    if (values.length === 0 || values.some((v) => typeof v !== 'string')) return false;
    const [v, attr] = attribute;
    const members = reads[v].members.get(attr) ?? new Set<string>();
    for (const value of values as string[]) members.add(value);
    reads[v].members.set(attr, members);
    return true;
  }
  for (const op of ['<', '<=', '>', '>='] as const) {
    const call = record[op] as { left?: unknown; right?: unknown } | undefined;
    if (!call) continue;
    let attribute = attributeOf(call.left);
    let value = literal(call.right);
    let normalized: Comparison['op'] = op;
    if (!attribute) {
      attribute = attributeOf(call.right);
      value = literal(call.left);
      normalized = FLIP[op];
    }
    if (!attribute || typeof value !== 'number') return false;
    const [v, attr] = attribute;
    const list = reads[v].comparisons.get(attr) ?? [];
    if (!list.some((c) => c.op === normalized && c.value === value)) list.push({ op: normalized, value });
    reads[v].comparisons.set(attr, list);
    return true;
  }
  return false;
}
