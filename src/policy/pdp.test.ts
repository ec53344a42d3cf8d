import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getScheme, PURPOSES, type Purpose } from '../classify/index.js';
import { ROLES, type Role } from '../identity/index.js';
import { POLICY_ACTIONS, NETWORK_ZONES, type BreakGlassInput, type PolicyRequest } from './model.js';
import { compilePack, defaultPolicyFiles, type CompiledPack, type PolicyFiles } from './pack.js';
import { PolicyDecisionPoint } from './pdp.js';
import { atLocal, contextOf, dataset, patientData, principalFacts } from './testing.js';

const scheme = getScheme('seed-3-grade');

function packOf(files: PolicyFiles): CompiledPack {
  const result = compilePack(files);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.pack;
}

/** A seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const flip = (p = 0.5) => next() < p;
  return { next, pick, flip };
}

function randomRequest(r: ReturnType<typeof random>): PolicyRequest {
  const roles = [r.pick(ROLES), ...(r.flip(0.2) ? [r.pick(ROLES)] : [])] as Role[];
  const principal = principalFacts(roles, {
    userId: `u${Math.floor(r.next() * 50)}`,
    kind: r.flip(0.1) ? 'service' : 'person',
    orgId: r.pick(['h1', 'h2']),
    qualifications: r.flip(0.7)
      ? [
          {
            type: 'practising-licence',
            value: 'L',
            ...(r.flip(0.2) ? { validUntil: atLocal(r.pick([5, 15])) } : {}),
          },
        ]
      : [],
  });
  const grade = r.pick(['grade-1', 'grade-2', 'grade-3', 'seed-3-grade:grade-2', 'unknown-grade']);
  const resource = r.flip(0.8)
    ? patientData({
        grade,
        orgId: r.pick(['h1', 'h2']),
        patientKey: `p${Math.floor(r.next() * 1000)}`,
        labels: r.flip(0.3) ? [r.pick(['HIV', 'PSY', 'R'])] : [],
      })
    : dataset({ grade, orgId: r.pick(['h1', 'h2']) });
  const breakGlass: BreakGlassInput | undefined = r.pick([
    undefined,
    { state: 'none' },
    { state: 'active', grantId: `g${Math.floor(r.next() * 5)}`, expiresAt: atLocal(20) },
    { state: 'expired', grantId: 'g-old', expiredAt: atLocal(1) },
  ] as const);
  return {
    action: r.pick(POLICY_ACTIONS),
    principal,
    resource,
    context: contextOf({
      purpose: r.flip(0.1) ? undefined : r.pick<Purpose>(PURPOSES),
      time: atLocal(Math.floor(r.next() * 24), Math.floor(r.next() * 60)),
      networkZone: r.pick(NETWORK_ZONES),
      careRelationship: r.flip(),
      ownRecord: r.flip(0.2),
      consent: r.flip(0.2) ? undefined : { permit: r.flip(0.7), version: Math.floor(r.next() * 3) },
      agreement: r.flip(),
      breakGlass,
      emergency: r.flip(0.2) ? { declarationId: `e${Math.floor(r.next() * 3)}` } : undefined,
      privacyComputing: r.flip(),
      institutionalFiling: r.flip(),
      ethicsApproval: r.flip(),
    }),
  };
}

describe('policy: the decision cache', () => {
  it('agrees with uncached Cedar on random requests (and serves most of them)', () => {
    const pack = packOf(defaultPolicyFiles());
    const cached = new PolicyDecisionPoint(pack, 1, { scheme });
    const uncached = new PolicyDecisionPoint(pack, 1, { scheme, cacheSize: 0 });
    const r = random(20261123);
    // Neighbours of a few random requests, each changed in one fact: if the key missed a fact
    // that matters, a neighbour would be served its base's answer and differ from Cedar's.
    const bases = Array.from({ length: 30 }, () => randomRequest(r));
    let permits = 0;
    for (let i = 0; i < 1200; i++) {
      const base = r.pick(bases);
      const other = randomRequest(r);
      const request: PolicyRequest = r.pick([
        () => other,
        () => ({ ...base, action: other.action }),
        () => ({ ...base, principal: other.principal }),
        () => ({ ...base, principal: { ...base.principal, userId: other.principal.userId } }),
        () => ({ ...base, principal: { ...base.principal, qualifications: other.principal.qualifications } }),
        () => ({ ...base, principal: { ...base.principal, roles: other.principal.roles } }),
        () => ({ ...base, resource: other.resource }),
        () => ({ ...base, resource: { ...base.resource, id: other.resource.id } }),
        () => ({ ...base, resource: { ...base.resource, orgId: other.resource.orgId } }),
        () => ({ ...base, resource: { ...base.resource, grade: other.resource.grade } }),
        () => ({ ...base, principal: { ...base.principal, orgId: other.principal.orgId } }),
        () => ({ ...base, context: { ...base.context, time: other.context.time } }),
        () => ({ ...base, context: { ...base.context, purpose: other.context.purpose } }),
        () => ({ ...base, context: { ...base.context, networkZone: other.context.networkZone } }),
        () => ({ ...base, context: { ...base.context, careRelationship: !base.context.careRelationship } }),
        () => ({ ...base, context: { ...base.context, ownRecord: !base.context.ownRecord } }),
        () => ({ ...base, context: { ...base.context, consent: other.context.consent } }),
        () => ({ ...base, context: { ...base.context, agreement: !base.context.agreement } }),
        () => ({ ...base, context: { ...base.context, breakGlass: other.context.breakGlass } }),
        () => ({ ...base, context: { ...base.context, emergency: other.context.emergency } }),
        () => ({ ...base, context: { ...base.context, privacyComputing: !base.context.privacyComputing } }),
        () => ({
          ...base,
          context: { ...base.context, institutionalFiling: !base.context.institutionalFiling },
        }),
        () => ({ ...base, context: { ...base.context, ethicsApproval: !base.context.ethicsApproval } }),
      ])();
      const expected = uncached.decide(request);
      if (expected.permit) permits++;
      assert.deepEqual(cached.decide(request), expected, JSON.stringify(request));
    }
    const { hits, misses } = cached.stats();
    assert.ok(permits > 20, `${permits} permits among the random requests`);
    assert.ok(hits > 0 && misses > 0, `${hits} hits, ${misses} misses`);
    assert.equal(uncached.stats().size, 0);
  });

  it('shares obligations only between requests the obligation policies cannot tell apart', () => {
    const pack = packOf(defaultPolicyFiles());
    const cached = new PolicyDecisionPoint(pack, 1, { scheme });
    const uncached = new PolicyDecisionPoint(pack, 1, { scheme, cacheSize: 0 });
    const clinician = principalFacts(['clinician']);
    const active = { state: 'active' as const, grantId: 'g1', expiresAt: atLocal(12) };
    // The same clinician reading the same record, under three purposes with different obligations.
    const contexts = [
      contextOf(),
      contextOf({ purpose: 'emergency-treatment', careRelationship: false, breakGlass: active }),
      contextOf({
        purpose: 'public-health-emergency',
        careRelationship: false,
        emergency: { declarationId: 'e1' },
      }),
    ];
    const seen = new Set<string>();
    for (const context of contexts) {
      const request = { action: 'read' as const, principal: clinician, resource: patientData(), context };
      const expected = uncached.decide(request);
      assert.ok(expected.permit);
      seen.add(JSON.stringify(expected.obligations));
      assert.deepEqual(cached.decide(request), expected);
    }
    assert.equal(seen.size, contexts.length, 'each context carries its own obligations');
  });

  it('shares a decision across patients when no policy reads the patient', () => {
    const pdp = new PolicyDecisionPoint(packOf(defaultPolicyFiles()), 1, { scheme });
    const request = {
      action: 'read' as const,
      principal: principalFacts(['clinician']),
      context: contextOf(),
    };
    for (let i = 0; i < 20; i++) pdp.decide({ ...request, resource: patientData({ patientKey: `p${i}` }) });
    assert.deepEqual(pdp.stats(), { hits: 19, misses: 1, size: 1 });
  });

  it('keys on the patient once a policy reads it', () => {
    const files = {
      ...defaultPolicyFiles(),
      'vip.cedar': `@id("vip") @reason("vip-patient") @en("VIP") @zh("贵宾")
        forbid (principal, action, resource is Custodia::PatientData) when { resource.patient == "p-vip" };`,
    };
    const pdp = new PolicyDecisionPoint(packOf(files), 1, { scheme });
    const request = {
      action: 'read' as const,
      principal: principalFacts(['clinician']),
      context: contextOf(),
    };
    assert.equal(pdp.decide({ ...request, resource: patientData({ patientKey: 'p1' }) }).permit, true);
    const vip = pdp.decide({ ...request, resource: patientData({ patientKey: 'p-vip' }) });
    assert.equal(vip.permit, false);
    assert.equal(vip.permit ? '' : vip.code, 'vip-patient');
    assert.equal(pdp.decide({ ...request, resource: patientData({ patientKey: 'p2' }) }).permit, true);
  });

  it('is invalidated by a policy version bump', () => {
    const pdp = new PolicyDecisionPoint(packOf(defaultPolicyFiles()), 1, { scheme });
    const request = {
      action: 'read' as const,
      principal: principalFacts(['clinician']),
      resource: patientData(),
      context: contextOf(),
    };
    const before = pdp.decide(request);
    assert.equal(before.permit, true);
    assert.equal(before.version, 1);
    pdp.use(
      packOf({
        ...defaultPolicyFiles(),
        'lockdown.cedar': `@id("lockdown") @reason("lockdown") @en("Locked down") @zh("已锁定")
          forbid (principal, action, resource) when { resource.accessScope == "small" };`,
      }),
      2,
    );
    assert.equal(pdp.stats().size, 0, 'the cache was emptied');
    const after = pdp.decide(request);
    assert.equal(after.permit, false);
    assert.equal(after.permit ? '' : after.code, 'lockdown');
    assert.equal(after.version, 2);
  });

  it('is keyed on the consent version and decision', () => {
    const pdp = new PolicyDecisionPoint(packOf(defaultPolicyFiles()), 1, { scheme });
    const request = (consent: { permit: boolean; version: number }) => ({
      action: 'query' as const,
      principal: principalFacts(['researcher']),
      resource: patientData({ grade: 'grade-3' }),
      context: contextOf({ purpose: 'research', careRelationship: false, agreement: true, consent }),
    });
    assert.equal(pdp.decide(request({ permit: true, version: 1 })).permit, true);
    assert.equal(pdp.decide(request({ permit: true, version: 1 })).permit, true);
    assert.deepEqual(pdp.stats(), { hits: 1, misses: 1, size: 1 });
    // The patient revoked: a new version, and a deny.
    const revoked = pdp.decide(request({ permit: false, version: 2 }));
    assert.equal(revoked.permit ? '' : revoked.code, 'consent-denied');
    // A later version that grants again is a new key too, never the version-1 answer reused.
    pdp.decide(request({ permit: true, version: 3 }));
    assert.equal(pdp.stats().misses, 3);
  });

  it('is emptied when the tenant switches grading schemes', () => {
    const pdp = new PolicyDecisionPoint(packOf(defaultPolicyFiles()), 1, { scheme });
    const request = {
      action: 'search' as const,
      principal: principalFacts(['regulator']),
      resource: patientData({ grade: 'level-5' }),
      context: contextOf({ purpose: 'public-health', careRelationship: false }),
    };
    // level-5 is not a seed grade: nothing is allowed for it.
    assert.equal(pdp.decide(request).permit, false);
    pdp.useScheme(getScheme('gbt-39725-2020'));
    assert.equal(pdp.decide(request).permit, true);
  });

  it('fills request facts into cached obligations (each grant and declaration its own)', () => {
    const pdp = new PolicyDecisionPoint(packOf(defaultPolicyFiles()), 1, { scheme });
    const request = (grantId: string) => ({
      action: 'read' as const,
      principal: principalFacts(['clinician']),
      resource: patientData(),
      context: contextOf({
        purpose: 'emergency-treatment' as const,
        careRelationship: false,
        breakGlass: { state: 'active' as const, grantId, expiresAt: atLocal(12) },
      }),
    });
    const grantOf = (d: ReturnType<PolicyDecisionPoint['decide']>) =>
      d.permit ? d.obligations.find((o) => o.kind === 'audit') : undefined;
    const a = grantOf(pdp.decide(request('grant-a')));
    const b = grantOf(pdp.decide(request('grant-b')));
    assert.equal(a?.kind === 'audit' ? a.breakGlassGrant : '', 'grant-a');
    assert.equal(b?.kind === 'audit' ? b.breakGlassGrant : '', 'grant-b');
    assert.equal(pdp.stats().hits, 1);
  });
});
