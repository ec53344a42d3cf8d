/**
 * Rule scopes as sets, and how two scopes compare. A scope is a product of dimensions (category,
 * label, grade, purpose, recipient, period); each is "any" or a set of values. Scope A is
 * narrower than B when on every dimension A's values lie inside B's and on one strictly so: then
 * every request A applies to, B applies to as well, and A is the more specific statement.
 */
import type { ConsentRule, RecipientKind, RuleScope } from './model.js';

/** One rule in the form evaluation uses: sets for membership tests, bounds as numbers. */
export interface CompiledRule {
  rule: ConsentRule;
  categories: ReadonlySet<string> | undefined;
  labels: ReadonlySet<string> | undefined;
  grades: ReadonlySet<string> | undefined;
  purposes: ReadonlySet<string> | undefined;
  recipientKind: RecipientKind;
  recipients: ReadonlySet<string> | undefined;
  start: number;
  end: number;
  /** Grows as the scope narrows (never smaller for a narrower scope): the order rules are weighed in. */
  rank: number;
}

/** Recipient kinds from the broadest (0) to the narrowest; a project and an agreement are peers. */
const RECIPIENT_LEVEL: Record<RecipientKind, number> = {
  any: 0,
  'organization-type': 1,
  organization: 2,
  project: 3,
  agreement: 3,
};

const setOf = (values: readonly string[] | undefined) => (values === undefined ? undefined : new Set(values));

export function compileRule(rule: ConsentRule): CompiledRule {
  const recipients = rule.recipient.kind === 'any' ? undefined : new Set<string>(rule.recipient.values);
  const compiled = {
    rule,
    categories: setOf(rule.categories),
    labels: setOf(rule.labels),
    grades: setOf(rule.grades),
    purposes: setOf(rule.purposes),
    recipientKind: rule.recipient.kind,
    recipients,
    start: rule.period.start ?? Number.NEGATIVE_INFINITY,
    end: rule.period.end ?? Number.POSITIVE_INFINITY,
    rank: 0,
  };
  compiled.rank = rankOf(compiled);
  return compiled;
}

/**
 * A number that never decreases as a scope narrows (narrower on one dimension, equal on the
 * rest, gives a rank at least as high). Evaluation weighs rules from the highest rank down, so a
 * rule is compared only with rules already known to be at least as specific.
 */
function rankOf(r: Omit<CompiledRule, 'rank'>): number {
  const set = (s: ReadonlySet<string> | undefined) => (s === undefined ? 0 : 1 + 1 / (1 + s.size));
  const level = RECIPIENT_LEVEL[r.recipientKind];
  const recipient = 2 * level + (r.recipients === undefined ? 0 : 1 / (1 + r.recipients.size));
  const bounded = Number.isFinite(r.start) && Number.isFinite(r.end);
  const period = bounded
    ? 1 + 1 / (1 + (r.end - r.start) / 86_400_000)
    : Number.isFinite(r.start) || Number.isFinite(r.end)
      ? 0.5
      : 0;
  return set(r.categories) + set(r.labels) + set(r.grades) + set(r.purposes) + recipient + period;
}

/** -1: a is narrower; 1: a is broader; 0: equal; NaN: neither contains the other. */
type Order = -1 | 0 | 1 | typeof Number.NaN;

function compareSets(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): Order {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  const aInB = [...a].every((v) => b.has(v));
  const bInA = [...b].every((v) => a.has(v));
  if (aInB && bInA) return 0;
  if (aInB) return -1;
  if (bInA) return 1;
  return Number.NaN;
}

function compareRecipients(a: CompiledRule, b: CompiledRule): Order {
  const la = RECIPIENT_LEVEL[a.recipientKind];
  const lb = RECIPIENT_LEVEL[b.recipientKind];
  if (la !== lb) return la > lb ? -1 : 1;
  if (a.recipientKind !== b.recipientKind) return Number.NaN;
  return compareSets(a.recipients, b.recipients);
}

function comparePeriods(a: CompiledRule, b: CompiledRule): Order {
  const aInB = a.start >= b.start && a.end <= b.end;
  const bInA = b.start >= a.start && b.end <= a.end;
  if (aInB && bInA) return 0;
  if (aInB) return -1;
  if (bInA) return 1;
  return Number.NaN;
}

export type ScopeRelation = 'narrower' | 'broader' | 'equal' | 'incomparable';

/** How scope `a` relates to scope `b`. */
export function compareScopes(a: CompiledRule, b: CompiledRule): ScopeRelation {
  let narrower = false;
  let broader = false;
  const orders = [
    compareSets(a.categories, b.categories),
    compareSets(a.labels, b.labels),
    compareSets(a.grades, b.grades),
    compareSets(a.purposes, b.purposes),
    compareRecipients(a, b),
    comparePeriods(a, b),
  ];
  for (const o of orders) {
    if (Number.isNaN(o)) return 'incomparable';
    if (o === -1) narrower = true;
    else if (o === 1) broader = true;
  }
  if (narrower && broader) return 'incomparable';
  return narrower ? 'narrower' : broader ? 'broader' : 'equal';
}

/** True when `a` is strictly narrower than `b`. The hot path: no allocation, cheapest checks first. */
export const isStrictlyNarrower = (a: CompiledRule, b: CompiledRule): boolean =>
  a.rank >= b.rank && within(a, b) && !within(b, a);

/** Whether scope `a` lies inside scope `b` (equal counts). */
function within(a: CompiledRule, b: CompiledRule): boolean {
  if (a.start < b.start || a.end > b.end) return false;
  const la = RECIPIENT_LEVEL[a.recipientKind];
  const lb = RECIPIENT_LEVEL[b.recipientKind];
  if (la < lb) return false;
  if (la === lb && (a.recipientKind !== b.recipientKind || !subset(a.recipients, b.recipients))) return false;
  return (
    subset(a.purposes, b.purposes) &&
    subset(a.grades, b.grades) &&
    subset(a.labels, b.labels) &&
    subset(a.categories, b.categories)
  );
}

/** a ⊆ b, where undefined is the whole domain. */
function subset(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (b === undefined) return true;
  if (a === undefined || a.size > b.size) return false;
  for (const v of a) if (!b.has(v)) return false;
  return true;
}

const intersects = (a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined) =>
  a === undefined || b === undefined || [...a].some((v) => b.has(v));

/**
 * Whether some request could fall under both rules. Recipients of different kinds are taken to
 * overlap (an organization may be of the named type, or run the named project).
 */
export function overlaps(a: CompiledRule, b: CompiledRule): boolean {
  if (a.start >= b.end || b.start >= a.end) return false;
  if (!intersects(a.categories, b.categories)) return false;
  if (!intersects(a.labels, b.labels)) return false;
  if (!intersects(a.grades, b.grades)) return false;
  if (!intersects(a.purposes, b.purposes)) return false;
  if (a.recipientKind === b.recipientKind && !intersects(a.recipients, b.recipients)) return false;
  return true;
}

/** The plain scope of a rule (for hashing, FHIR and display): its dimensions, nothing else. */
export function scopeOf(rule: ConsentRule): RuleScope {
  return {
    categories: rule.categories,
    labels: rule.labels,
    grades: rule.grades,
    purposes: rule.purposes,
    recipient: rule.recipient,
    period: rule.period,
  };
}
