import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { getScheme, type GradingScheme, type Purpose } from '../classify/index.js';
import type { OrganizationType } from '../identity/index.js';
import { CONSENT_INDEPENDENT } from './defaults.js';
import { CompiledConsent } from './evaluate.js';
import type {
  Consent,
  ConsentId,
  ConsentQuery,
  ConsentRule,
  PatientKey,
  RecipientKind,
  RecipientScope,
  RuleId,
  RuleInput,
} from './model.js';

const scheme = getScheme('seed-3-grade');
const NOW = Date.UTC(2026, 10, 23);
const YEAR = 365 * 86_400_000;

function consentOf(inputs: readonly RuleInput[], version = 1): Consent {
  return {
    consentId: 'c' as ConsentId,
    patient: 'p1' as PatientKey,
    version,
    rules: inputs.map((r, i) => ({
      ...r,
      id: `r${i + 1}` as RuleId,
      seq: i + 1,
      recipient: r.recipient ?? { kind: 'any' },
      period: r.period ?? {},
      addedIn: 1,
    })),
    updatedAt: NOW,
  };
}

const query = (q: Partial<ConsentQuery> = {}): ConsentQuery => ({
  patient: 'p1',
  labels: ['health-status'],
  grade: 'grade-2',
  purpose: 'research',
  recipient: { organization: 'org-a', organizationType: 'research-institute' },
  time: NOW,
  ...q,
});

const decide = (rules: readonly RuleInput[], q: Partial<ConsentQuery> = {}) =>
  new CompiledConsent(scheme, consentOf(rules)).explain(query(q), NOW);

describe('consent precedence', () => {
  test('no rule: the grade’s default from the scheme decides', () => {
    assert.deepEqual(pick(decide([])), { permit: false, basis: 'default', requirement: 'opt-in' });
    assert.deepEqual(pick(decide([], { purpose: 'treatment' })), {
      permit: true,
      basis: 'default',
      requirement: 'not-required',
    });
    assert.deepEqual(pick(decide([], { grade: 'seed-3-grade:grade-3' })), {
      permit: true,
      basis: 'default',
      requirement: 'opt-out',
    });
  });

  test('a purpose the grade does not allow: no grant changes it', () => {
    const d = decide([{ effect: 'grant', purposes: ['research'] }], { grade: 'grade-1' });
    assert.deepEqual(pick(d), { permit: false, basis: 'not-allowed-for-grade', requirement: 'forbidden' });
  });

  test('an opt-in use is permitted by a grant', () => {
    const d = decide([{ effect: 'grant', purposes: ['research'] }]);
    assert.equal(d.permit, true);
    assert.equal(d.rule?.seq, 1);
  });

  test('a separate consent needs a grant that names the purpose', () => {
    const general = decide([{ effect: 'grant' }], { grade: 'grade-1', purpose: 'public-health-emergency' });
    assert.equal(general.permit, false);
    assert.equal(general.basis, 'default');
    assert.equal(general.overridden[0]?.lost, 'separate-consent-needed');
    const named = decide([{ effect: 'grant' }, { effect: 'grant', purposes: ['public-health-emergency'] }], {
      grade: 'grade-1',
      purpose: 'public-health-emergency',
    });
    assert.equal(named.permit, true);
    assert.equal(named.rule?.seq, 2);
  });

  test('the specific overrides the general: a grant to one project inside a deny of all research', () => {
    const rules: RuleInput[] = [
      { effect: 'deny', purposes: ['research'] },
      { effect: 'grant', purposes: ['research'], recipient: { kind: 'project', values: ['p-1'] } },
    ];
    const inProject = decide(rules, { recipient: { organization: 'org-a', project: 'p-1' } });
    assert.equal(inProject.permit, true);
    assert.equal(inProject.rule?.seq, 2);
    assert.deepEqual(
      inProject.overridden.map((o) => [o.rule.seq, o.lost, o.to?.seq]),
      [[1, 'narrower-rule-applies', 2]],
    );
    const elsewhere = decide(rules, { recipient: { organization: 'org-a', project: 'p-2' } });
    assert.equal(elsewhere.permit, false);
    assert.equal(elsewhere.rule?.seq, 1);
  });

  test('the specific overrides the general: a deny of HIV data inside a grant of research', () => {
    const rules: RuleInput[] = [
      { effect: 'grant', purposes: ['research'] },
      { effect: 'deny', purposes: ['research'], labels: ['HIV'] },
    ];
    assert.equal(decide(rules, { labels: ['health-status', 'HIV'] }).permit, false);
    assert.equal(decide(rules).permit, true);
  });

  test('deny overrides grant when neither rule is narrower', () => {
    const rules: RuleInput[] = [
      { effect: 'grant', purposes: ['research'], recipient: { kind: 'project', values: ['p-1'] } },
      { effect: 'deny', labels: ['HIV'] },
    ];
    const d = decide(rules, { labels: ['HIV'], recipient: { organization: 'org-a', project: 'p-1' } });
    assert.equal(d.permit, false);
    assert.equal(d.rule?.seq, 2);
    assert.deepEqual(
      d.overridden.map((o) => [o.rule.seq, o.lost]),
      [[1, 'deny-overrides-grant']],
    );
    const same = decide([
      { effect: 'grant', purposes: ['research'] },
      { effect: 'deny', purposes: ['research'] },
    ]);
    assert.equal(same.permit, false);
    assert.equal(same.overridden[0]?.lost, 'deny-overrides-grant');
  });

  test('the law’s own bases are not the patient’s to refuse', () => {
    const d = decide([{ effect: 'deny' }], { purpose: 'emergency-treatment' });
    assert.equal(d.permit, true);
    assert.equal(d.basis, 'legal-basis');
    assert.equal(d.overridden[0]?.lost, 'legal-basis');
  });

  test('treatment is allowed unless the patient restricts a recipient', () => {
    const rules: RuleInput[] = [
      { effect: 'deny', purposes: ['treatment'], recipient: { kind: 'organization', values: ['org-b'] } },
    ];
    assert.equal(decide(rules, { purpose: 'treatment', recipient: { organization: 'org-a' } }).permit, true);
    assert.equal(decide(rules, { purpose: 'treatment', recipient: { organization: 'org-b' } }).permit, false);
  });

  test('an organization is narrower than an organization type', () => {
    const rules: RuleInput[] = [
      { effect: 'deny', recipient: { kind: 'organization-type', values: ['research-institute'] } },
      { effect: 'grant', purposes: ['research'], recipient: { kind: 'organization', values: ['org-a'] } },
    ];
    assert.equal(decide(rules).permit, true);
    assert.equal(
      decide(rules, { recipient: { organization: 'org-z', organizationType: 'research-institute' } }).permit,
      false,
    );
  });

  test('a period applies from its start up to, not including, its end', () => {
    const rules: RuleInput[] = [
      { effect: 'grant', purposes: ['research'], period: { start: NOW, end: NOW + YEAR } },
    ];
    assert.equal(decide(rules, { time: NOW - 1 }).permit, false);
    assert.equal(decide(rules, { time: NOW }).permit, true);
    assert.equal(decide(rules, { time: NOW + YEAR - 1 }).permit, true);
    assert.equal(decide(rules, { time: NOW + YEAR }).permit, false);
  });

  test('memoized answers follow time across a rule’s period bounds', () => {
    const compiled = new CompiledConsent(
      scheme,
      consentOf([{ effect: 'grant', purposes: ['research'], period: { start: NOW, end: NOW + YEAR } }]),
    );
    const at = (time: number) => compiled.decide(query({ time }), NOW).permit;
    assert.deepEqual(
      [at(NOW - 1), at(NOW), at(NOW + 10), at(NOW + YEAR), at(NOW - 5)],
      [false, true, true, false, false],
    );
  });
});

const pick = (d: { permit: boolean; basis: string; requirement: string }) => ({
  permit: d.permit,
  basis: d.basis,
  requirement: d.requirement,
});

// Property: the compiled evaluator agrees with a naive reading of the precedence rules.

const CATEGORIES = ['health-status', 'personal-attribute', 'medical-payment'] as const;
const LABELS = ['HIV', 'PSY', 'R'];
const GRADES = ['grade-1', 'grade-2', 'grade-3'];
const PURPOSES: Purpose[] = [
  'treatment',
  'research',
  'ai-training',
  'emergency-treatment',
  'public-health-emergency',
  'marketing',
];
const ORGS = ['org-a', 'org-b'];
const TYPES: OrganizationType[] = ['hospital', 'research-institute'];
const PROJECTS = ['p-1', 'p-2'];
const AGREEMENTS = ['a-1', 'a-2'];

const subset = <T>(values: readonly T[]) =>
  fc.option(fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: values.length }), {
    nil: undefined,
  });

const recipientArb: fc.Arbitrary<RecipientScope> = fc.oneof(
  fc.constant({ kind: 'any' as const }),
  fc
    .uniqueArray(fc.constantFrom(...TYPES), { minLength: 1 })
    .map((values) => ({ kind: 'organization-type' as const, values })),
  fc
    .uniqueArray(fc.constantFrom(...ORGS), { minLength: 1 })
    .map((values) => ({ kind: 'organization' as const, values })),
  fc
    .uniqueArray(fc.constantFrom(...PROJECTS), { minLength: 1 })
    .map((values) => ({ kind: 'project' as const, values })),
  fc
    .uniqueArray(fc.constantFrom(...AGREEMENTS), { minLength: 1 })
    .map((values) => ({ kind: 'agreement' as const, values })),
);

const periodArb = fc
  .tuple(
    fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  )
  .filter(([s, e]) => s === undefined || e === undefined || e > s)
  .map(([start, end]) => ({ start, end }));

const ruleArb: fc.Arbitrary<RuleInput> = fc.record({
  effect: fc.constantFrom('grant' as const, 'deny' as const),
  categories: subset(CATEGORIES),
  labels: subset(LABELS),
  grades: subset(GRADES),
  purposes: subset(PURPOSES),
  recipient: recipientArb,
  period: periodArb,
});

const queryArb: fc.Arbitrary<ConsentQuery> = fc.record({
  patient: fc.constant('p1'),
  labels: fc
    .tuple(fc.constantFrom(...CATEGORIES), fc.uniqueArray(fc.constantFrom(...LABELS)))
    .map(([c, l]) => [c, ...l]),
  grade: fc.constantFrom(...GRADES),
  purpose: fc.constantFrom(...PURPOSES),
  recipient: fc.record({
    organization: fc.constantFrom(...ORGS),
    organizationType: fc.constantFrom(...TYPES),
    project: fc.option(fc.constantFrom(...PROJECTS), { nil: undefined }),
    agreement: fc.option(fc.constantFrom(...AGREEMENTS), { nil: undefined }),
  }),
  time: fc.integer({ min: 0, max: 12 }),
});

/** The precedence rules read literally: no indexes, no ranks, no memo. */
function reference(s: GradingScheme, rules: readonly ConsentRule[], q: ConsentQuery) {
  const grade = s.grades.find((g) => g.id === q.grade)!;
  const handling = grade.handling.purposes[q.purpose];
  if (!handling) return { permit: false, basis: 'not-allowed-for-grade', winners: [] as ConsentRule[] };
  if (handling.consent === 'not-required' && CONSENT_INDEPENDENT.has(q.purpose))
    return { permit: true, basis: 'legal-basis', winners: [] };
  const time = q.time!;
  const inSet = (set: readonly string[] | undefined, value: string) =>
    set === undefined || set.includes(value);
  const anyIn = (set: readonly string[] | undefined) =>
    set === undefined || q.labels.some((l) => set.includes(l));
  const recipientOk = (r: RecipientScope) => {
    const to = q.recipient;
    if (r.kind === 'any') return true;
    const value = {
      'organization-type': to.organizationType,
      organization: to.organization,
      project: to.project,
      agreement: to.agreement,
    }[r.kind];
    return value !== undefined && (r.values as readonly string[]).includes(value);
  };
  const applicable = rules.filter(
    (r) =>
      (r.period.start ?? -Infinity) <= time &&
      time < (r.period.end ?? Infinity) &&
      anyIn(r.categories) &&
      anyIn(r.labels) &&
      inSet(r.grades, q.grade) &&
      inSet(r.purposes, q.purpose) &&
      recipientOk(r.recipient),
  );
  const eligible = applicable.filter(
    (r) => !(handling.consent === 'separate' && r.effect === 'grant' && r.purposes === undefined),
  );
  const winners = eligible.filter((r) => !eligible.some((o) => within(o, r) && !within(r, o)));
  if (winners.length === 0)
    return { permit: grade.handling.defaultConsent[q.purpose] === 'permit', basis: 'default', winners };
  return { permit: !winners.some((r) => r.effect === 'deny'), basis: 'rule', winners };
}

const LEVEL: Record<RecipientKind, number> = {
  any: 0,
  'organization-type': 1,
  organization: 2,
  project: 3,
  agreement: 3,
};

/** Whether rule a's scope lies inside rule b's, dimension by dimension. */
function within(a: ConsentRule, b: ConsentRule): boolean {
  const set = (x: readonly string[] | undefined, y: readonly string[] | undefined) =>
    y === undefined || (x !== undefined && x.every((v) => y.includes(v)));
  const recipient = () => {
    const la = LEVEL[a.recipient.kind];
    const lb = LEVEL[b.recipient.kind];
    if (la !== lb) return la > lb;
    if (a.recipient.kind !== b.recipient.kind) return false;
    const values = (r: RecipientScope): readonly string[] => (r.kind === 'any' ? [] : r.values);
    return set(values(a.recipient), values(b.recipient));
  };
  return (
    set(a.categories, b.categories) &&
    set(a.labels, b.labels) &&
    set(a.grades, b.grades) &&
    set(a.purposes, b.purposes) &&
    recipient() &&
    (a.period.start ?? -Infinity) >= (b.period.start ?? -Infinity) &&
    (a.period.end ?? Infinity) <= (b.period.end ?? Infinity)
  );
}

describe('consent evaluation against a naive reference', () => {
  test('same decision, same basis, and the deciding rule is one of the most specific', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 25 }),
        fc.array(queryArb, { minLength: 1, maxLength: 8 }),
        (inputs, queries) => {
          const consent = consentOf(inputs);
          const compiled = new CompiledConsent(scheme, consent);
          for (const q of queries) {
            const expected = reference(scheme, consent.rules, q);
            // Twice: the second answer may come from the memo and must not differ.
            for (const d of [compiled.decide(q, 0), compiled.decide(q, 0), compiled.explain(q, 0)]) {
              assert.equal(d.permit, expected.permit, JSON.stringify({ q, rules: consent.rules, d }));
              assert.equal(d.basis, expected.basis);
              if (d.basis === 'rule') {
                assert.ok(
                  expected.winners.some((w) => w.id === d.rule?.id),
                  'decided by one of the most specific rules',
                );
                assert.equal(d.rule?.effect, expected.permit ? 'grant' : 'deny');
              }
            }
          }
        },
      ),
      { numRuns: 400, seed: 5 },
    );
  });

  test('every applying rule is either the decider or listed with why it lost (or agrees)', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 25 }), queryArb, (inputs, q) => {
        const consent = consentOf(inputs);
        const d = new CompiledConsent(scheme, consent).explain(q, 0);
        const lost = new Set(d.overridden.map((o) => o.rule.id));
        if (d.rule) assert.ok(!lost.has(d.rule.id), 'the decider did not lose');
        for (const o of d.overridden) if (o.to) assert.notEqual(o.to.id, o.rule.id);
        assert.ok(d.overridden.length <= d.applied);
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
