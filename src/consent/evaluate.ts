/**
 * Evaluation: one patient's consent, compiled once, answers "may this data be used for this
 * purpose by this recipient now?" with the rule that decided and, on request, why every other
 * applicable rule lost.
 *
 * Precedence, in order:
 * 1. The scheme first: a purpose the grade does not allow is denied, and a use the law allows
 *    without consent (`CONSENT_INDEPENDENT`, only where the scheme says `not-required`) is
 *    permitted; the patient's rules cannot change either.
 * 2. Where the grade needs a separate consent, only grants that name the purpose count.
 * 3. Among the rules that apply, the specific overrides the general: a rule loses to any applying
 *    rule whose scope lies strictly inside its own (`scope.ts`).
 * 4. Among the most specific rules left (equal or incomparable scopes), deny overrides grant.
 * 5. No rule applies: the grade's default for the purpose (`defaultConsent` of the scheme).
 */
import type { GradingScheme, Purpose } from '../classify/index.js';
import { describeRequirement, gradeOf, requirementFor, type GradeRequirement } from './defaults.js';
import type {
  Consent,
  ConsentDecision,
  ConsentRule,
  ConsentQuery,
  ExplainedDecision,
  OverriddenRule,
  Recipient,
  RuleSummary,
} from './model.js';
import { compileRule, isStrictlyNarrower, type CompiledRule } from './scope.js';

/** Most overridden rules an explanation lists (the count covers them all). */
const MAX_EXPLAINED = 50;
/** Most memoized answers per patient; past it the memo starts afresh. */
const MAX_MEMO = 4096;

interface Bucket {
  byPurpose: Map<string, CompiledRule[]>;
  anyPurpose: CompiledRule[];
}

interface Memo {
  decision: ConsentDecision;
  /** The answer holds for times in [from, until): no rule starts or ends in between. */
  from: number;
  until: number;
}

/** The query's fields in the form matching needs. */
interface Request {
  labels: readonly string[];
  gradeId: string;
  purpose: Purpose;
  recipient: Recipient;
  time: number;
}

export class CompiledConsent {
  /**
   * Rules indexed by the recipient they name (`any`, `organization-type:hospital`,
   * `organization:<id>`, ...) and then by purpose: a request scans only the buckets of its own
   * recipient and purpose, so a patient with 10,000 rules about other recipients costs little.
   */
  private readonly buckets = new Map<string, Bucket>();
  /** Every finite period bound of every rule, ascending: where answers can change over time. */
  private readonly boundaries: number[];
  private readonly memo = new Map<string, Memo>();
  /**
   * Whether any rule is scoped by security label or data category. Defaults go by grade alone, so
   * without such a rule a caller need not read the labels (out of the sealed body) at all.
   */
  readonly readsLabels: boolean;

  constructor(
    readonly scheme: GradingScheme,
    readonly consent: Consent,
  ) {
    this.readsLabels = consent.rules.some((r) => r.labels !== undefined || r.categories !== undefined);
    const bounds = new Set<number>();
    for (const rule of consent.rules) {
      const c = compileRule(rule);
      for (const key of c.recipients === undefined
        ? ['any']
        : [...c.recipients].map((v) => `${c.recipientKind}:${v}`)) {
        let bucket = this.buckets.get(key);
        if (!bucket) this.buckets.set(key, (bucket = { byPurpose: new Map(), anyPurpose: [] }));
        if (c.purposes === undefined) bucket.anyPurpose.push(c);
        else
          for (const p of c.purposes) {
            const list = bucket.byPurpose.get(p);
            if (list) list.push(c);
            else bucket.byPurpose.set(p, [c]);
          }
      }
      if (Number.isFinite(c.start)) bounds.add(c.start);
      if (Number.isFinite(c.end)) bounds.add(c.end);
    }
    this.boundaries = [...bounds].sort((a, b) => a - b);
  }

  get version(): number {
    return this.consent.version;
  }

  /** The decision, memoized per request shape for as long as no rule's period starts or ends. */
  decide(query: ConsentQuery, now: number): ConsentDecision {
    const time = query.time ?? now;
    const r = query.recipient;
    const key = `${query.grade}\u0000${query.purpose}\u0000${r.organization}\u0000${r.organizationType ?? ''}\u0000${r.project ?? ''}\u0000${r.agreement ?? ''}\u0000${query.labels.join('\u0001')}`;
    const hit = this.memo.get(key);
    if (hit && time >= hit.from && time < hit.until) return hit.decision;
    const decision = this.evaluate(this.request(query, time), false);
    if (this.memo.size >= MAX_MEMO) this.memo.clear();
    const [from, until] = this.window(time);
    this.memo.set(key, { decision, from, until });
    return decision;
  }

  /** The decision with every applicable rule that did not decide, and why. Never memoized. */
  explain(query: ConsentQuery, now: number): ExplainedDecision {
    return this.evaluate(this.request(query, query.time ?? now), true) as ExplainedDecision;
  }

  private request(query: ConsentQuery, time: number): Request {
    const grade = gradeOf(this.scheme, query.grade);
    return {
      labels: query.labels,
      gradeId: grade?.id ?? query.grade,
      purpose: query.purpose,
      recipient: query.recipient,
      time,
    };
  }

  /** The interval around `time` in which no rule's period starts or ends. */
  private window(time: number): [number, number] {
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return [
      lo === 0 ? Number.NEGATIVE_INFINITY : b[lo - 1]!,
      lo === b.length ? Number.POSITIVE_INFINITY : b[lo]!,
    ];
  }

  private applying(req: Request): CompiledRule[] {
    const out: CompiledRule[] = [];
    const r = req.recipient;
    const keys = ['any', `organization:${r.organization}`];
    if (r.organizationType !== undefined) keys.push(`organization-type:${r.organizationType}`);
    if (r.project !== undefined) keys.push(`project:${r.project}`);
    if (r.agreement !== undefined) keys.push(`agreement:${r.agreement}`);
    for (const key of keys) {
      const bucket = this.buckets.get(key);
      if (!bucket) continue;
      for (const list of [bucket.byPurpose.get(req.purpose), bucket.anyPurpose])
        if (list) for (const c of list) if (applies(c, req)) out.push(c);
    }
    return out;
  }

  private evaluate(req: Request, explain: boolean): ConsentDecision | ExplainedDecision {
    const need = requirementFor(this.scheme, req.gradeId, req.purpose);
    const version = this.consent.version;
    const text = describeRequirement(this.scheme, req.gradeId, req.purpose, need.requirement);
    const applying = need.requirement === 'forbidden' ? [] : this.applying(req);
    const overridden: OverriddenRule[] = [];
    const lose = (c: CompiledRule, o: Omit<OverriddenRule, 'rule'>) => {
      if (explain && overridden.length < MAX_EXPLAINED) overridden.push({ rule: summary(c), ...o });
    };
    const finish = (d: ConsentDecision): ConsentDecision | ExplainedDecision =>
      explain ? { ...d, overridden, applied: applying.length } : d;

    if (need.requirement === 'forbidden')
      return finish({
        permit: false,
        basis: 'not-allowed-for-grade',
        requirement: 'forbidden',
        reason: `${text.en}; no consent can allow it`,
        zh: `${text.zh}，任何同意均不能改变`,
        version,
      });
    if (need.consentIndependent) {
      for (const c of applying)
        lose(c, {
          lost: 'legal-basis',
          reason: 'the law allows this use whatever the rules say',
          zh: '法律允许此使用，不受同意规则约束',
        });
      return finish({
        permit: true,
        basis: 'legal-basis',
        requirement: need.requirement,
        reason: `${text.en}: the law allows it whatever the patient's rules say`,
        zh: `${text.zh}：法律允许，不受患者同意规则约束`,
        version,
      });
    }

    const eligible: CompiledRule[] = [];
    for (const c of applying) {
      if (need.requirement === 'separate' && c.rule.effect === 'grant' && c.purposes === undefined)
        lose(c, {
          lost: 'separate-consent-needed',
          reason: 'this use needs a separate grant that names its purpose; this grant names no purpose',
          zh: '此使用须有专门针对该目的的单独同意，本条授权未指明目的',
        });
      else eligible.push(c);
    }
    eligible.sort((a, b) => b.rank - a.rank || a.rule.seq - b.rule.seq);
    if (!explain) return quickDecision(eligible, need, text, version);

    // The most specific rules: none of them has an applying rule strictly inside its scope.
    const specific: CompiledRule[] = [];
    for (const c of eligible) {
      const inside = specific.find((s) => isStrictlyNarrower(s, c));
      if (inside) {
        lose(c, narrowerLoss(inside));
        continue;
      }
      // Equal ranks can hide a narrower rule that came later: it evicts the broader one.
      for (let i = specific.length - 1; i >= 0; i--)
        if (isStrictlyNarrower(c, specific[i]!)) {
          lose(specific[i]!, narrowerLoss(c));
          specific.splice(i, 1);
        }
      specific.push(c);
    }
    if (specific.length === 0) return finish(defaultDecision(need, text, version));

    const decider = specific.find((c) => c.rule.effect === 'deny') ?? specific[0]!;
    if (decider.rule.effect === 'deny')
      for (const c of specific)
        if (c.rule.effect === 'grant')
          lose(c, {
            lost: 'deny-overrides-grant',
            to: summary(decider),
            reason: `${nameOf(decider.rule).en} denies it and neither rule is narrower than the other: deny overrides grant`,
            zh: `${nameOf(decider.rule).zh}拒绝，且两条规则范围互不包含：拒绝优先于授权`,
          });
    return finish(ruleDecision(decider, need, text, version));
  }
}

/**
 * The decision of the precedence rules without the explanation: the same answer and decider as
 * the full pass (the property tests hold them together), found without building the whole set of
 * most specific rules. `eligible` is in rank order, and only rules of at least equal rank can be
 * narrower, so each check scans a prefix: a deny that nothing narrower overrides decides at once.
 */
function quickDecision(
  eligible: readonly CompiledRule[],
  need: GradeRequirement,
  text: { en: string; zh: string },
  version: number,
): ConsentDecision {
  if (eligible.length === 0) return defaultDecision(need, text, version);
  const isMostSpecific = (i: number): boolean => {
    const c = eligible[i]!;
    for (let j = 0; j < eligible.length; j++) {
      const s = eligible[j]!;
      if (s.rank < c.rank) break;
      if (j !== i && isStrictlyNarrower(s, c)) return false;
    }
    return true;
  };
  let decider: CompiledRule | undefined;
  for (let i = 0; i < eligible.length && decider === undefined; i++)
    if (eligible[i]!.rule.effect === 'deny' && isMostSpecific(i)) decider = eligible[i];
  for (let i = 0; i < eligible.length && decider === undefined; i++)
    if (isMostSpecific(i)) decider = eligible[i];
  return ruleDecision(decider!, need, text, version);
}

function ruleDecision(
  decider: CompiledRule,
  need: GradeRequirement,
  text: { en: string; zh: string },
  version: number,
): ConsentDecision {
  const grant = decider.rule.effect === 'grant';
  return {
    permit: grant,
    basis: 'rule',
    rule: summary(decider),
    requirement: need.requirement,
    reason: `${nameOf(decider.rule).en} ${grant ? 'grants' : 'denies'} this use (${text.en} by default)`,
    zh: `${nameOf(decider.rule).zh}${grant ? '授权' : '拒绝'}此使用（默认：${text.zh}）`,
    version,
  };
}

function applies(c: CompiledRule, req: Request): boolean {
  if (req.time < c.start || req.time >= c.end) return false;
  if (c.grades !== undefined && !c.grades.has(req.gradeId)) return false;
  if (c.categories !== undefined && !req.labels.some((l) => c.categories!.has(l))) return false;
  if (c.labels !== undefined && !req.labels.some((l) => c.labels!.has(l))) return false;
  return recipientApplies(c, req.recipient);
}

function recipientApplies(c: CompiledRule, r: Recipient): boolean {
  const values = c.recipients;
  switch (c.recipientKind) {
    case 'any':
      return true;
    case 'organization-type':
      return r.organizationType !== undefined && values!.has(r.organizationType);
    case 'organization':
      return values!.has(r.organization);
    case 'project':
      return r.project !== undefined && values!.has(r.project);
    case 'agreement':
      return r.agreement !== undefined && values!.has(r.agreement);
  }
}

const summary = (c: CompiledRule): RuleSummary => ({
  id: c.rule.id,
  seq: c.rule.seq,
  effect: c.rule.effect,
  ...(c.rule.linkedRecord === undefined ? {} : { linkedRecord: c.rule.linkedRecord }),
});

/**
 * How a reason names a rule: by its number, and, for a rule on another record of the person, by
 * where it was made (not which record: reasons reach staff, as in `screenRelease`).
 */
const nameOf = (rule: ConsentRule): { en: string; zh: string } =>
  rule.linkedRecord === undefined
    ? { en: `rule #${rule.seq}`, zh: `第 ${rule.seq} 条规则` }
    : {
        en: `rule #${rule.seq} of the patient's consent on their record at another organization`,
        zh: `患者在其他机构档案上的同意中的第 ${rule.seq} 条规则`,
      };

const narrowerLoss = (winner: CompiledRule): Omit<OverriddenRule, 'rule'> => ({
  lost: 'narrower-rule-applies',
  to: summary(winner),
  reason: `${nameOf(winner.rule).en} is narrower (its scope lies inside this rule's) and applies too: the specific overrides the general`,
  zh: `${nameOf(winner.rule).zh}范围更窄（包含于本条之内）且同样适用：具体规则优先于一般规则`,
});

function defaultDecision(
  need: GradeRequirement,
  text: { en: string; zh: string },
  version: number,
): ConsentDecision {
  return {
    permit: need.defaultPermit,
    basis: 'default',
    requirement: need.requirement,
    reason: `${text.en}; no rule of the patient's applies, so the default ${need.defaultPermit ? 'permits' : 'denies'}`,
    zh: `${text.zh}；患者没有适用的规则，按默认${need.defaultPermit ? '允许' : '拒绝'}`,
    version,
  };
}
