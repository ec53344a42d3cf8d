/**
 * Overlapping rules are kept, never merged or dropped: what the patient said stays as said. The
 * portal shows, for each pair that can apply to the same request, which one wins there and why.
 */
import type { ConsentRule, RuleSummary } from './model.js';
import { compileRule, compareScopes, overlaps, type CompiledRule, type ScopeRelation } from './scope.js';

export interface Overlap {
  rule: RuleSummary;
  other: RuleSummary;
  /** How `rule`'s scope relates to `other`'s. */
  relation: ScopeRelation;
  /** One grants and the other denies. */
  conflicting: boolean;
  /** Which wins where both apply: `rule`, `other`, or `either` (same effect). */
  wins: 'rule' | 'other' | 'either';
  reason: string;
  zh: string;
}

/** Most overlaps one answer lists. */
const MAX_OVERLAPS = 200;

/** The overlaps of each of `rules` with every other rule of `all` (each pair once). */
export function precedenceOf(rules: readonly ConsentRule[], all: readonly ConsentRule[]): Overlap[] {
  const compiled = new Map<string, CompiledRule>(all.map((r) => [r.id, compileRule(r)]));
  const subject = rules.map((r) => compiled.get(r.id) ?? compileRule(r));
  const seen = new Set<string>();
  const out: Overlap[] = [];
  for (const a of subject)
    for (const b of compiled.values()) {
      if (a.rule.id === b.rule.id || out.length >= MAX_OVERLAPS) continue;
      const pair = a.rule.seq < b.rule.seq ? `${a.rule.id}|${b.rule.id}` : `${b.rule.id}|${a.rule.id}`;
      if (seen.has(pair) || !overlaps(a, b)) continue;
      seen.add(pair);
      out.push(describe(a, b));
    }
  return out;
}

function describe(a: CompiledRule, b: CompiledRule): Overlap {
  const relation = compareScopes(a, b);
  const conflicting = a.rule.effect !== b.rule.effect;
  const base = { rule: summary(a), other: summary(b), relation, conflicting };
  const n = `#${b.rule.seq}`;
  if (!conflicting)
    return {
      ...base,
      wins: 'either',
      reason:
        relation === 'equal'
          ? `same scope and effect as rule ${n}: a duplicate, kept as made`
          : `overlaps rule ${n} with the same effect: where both apply they agree`,
      zh:
        relation === 'equal'
          ? `与第 ${b.rule.seq} 条规则范围和效果相同：重复规则，按原样保留`
          : `与第 ${b.rule.seq} 条规则部分重叠且效果相同：两者均适用时结论一致`,
    };
  if (relation === 'narrower')
    return {
      ...base,
      wins: 'rule',
      reason: `narrower than rule ${n}: where both apply this rule wins (the specific overrides the general)`,
      zh: `范围窄于第 ${b.rule.seq} 条规则：两者均适用时本条优先（具体优先于一般）`,
    };
  if (relation === 'broader')
    return {
      ...base,
      wins: 'other',
      reason: `broader than rule ${n}: where both apply rule ${n} wins (the specific overrides the general)`,
      zh: `范围宽于第 ${b.rule.seq} 条规则：两者均适用时第 ${b.rule.seq} 条优先（具体优先于一般）`,
    };
  const denyWins = a.rule.effect === 'deny' ? 'rule' : 'other';
  return {
    ...base,
    wins: denyWins,
    reason: `${relation === 'equal' ? 'same scope as' : 'overlaps, neither narrower than'} rule ${n}: where both apply the deny wins`,
    zh: `与第 ${b.rule.seq} 条规则${relation === 'equal' ? '范围相同' : '部分重叠且互不包含'}：两者均适用时拒绝优先`,
  };
}

const summary = (c: CompiledRule): RuleSummary => ({ id: c.rule.id, seq: c.rule.seq, effect: c.rule.effect });
