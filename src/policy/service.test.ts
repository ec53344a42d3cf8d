import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CustodiaError, ManualClock, type TenantId } from '../core/index.js';
import { getScheme } from '../classify/index.js';
import { openTestStore, testDialects, type TestStore } from '../store/testing.js';
import { BreakGlassService } from './break-glass.js';
import type { PolicyAuditNote, PolicyRecorder } from './audit.js';
import { EmergencyService } from './emergency.js';
import { defaultPolicyFiles } from './pack.js';
import { PolicyService } from './service.js';
import { policyMigrations } from './tables.js';
import { atLocal, contextOf, patientData, principalFacts } from './testing.js';

const TENANT = 't1' as TenantId;
const scheme = getScheme('seed-3-grade');
const officer = { userId: 'u-po', orgId: 'h1', roles: ['privacy-officer'] as const };
const clinician = { userId: 'u-doc', orgId: 'h1', roles: ['clinician'] as const };
const regulator = { userId: 'u-reg', orgId: 'nhc', roles: ['regulator'] as const };
const HOUR = 3_600_000;

const LOCKDOWN = `@id("lockdown") @reason("lockdown") @en("Grade-2 data is locked down.") @zh("二级数据已锁定。")
forbid (principal, action in Custodia::Action::"use", resource) when { resource.accessScope == "small" };`;

/** A ledger double: the notes recorded, in order. */
const ledger = () => {
  const notes: PolicyAuditNote[] = [];
  const record: PolicyRecorder = async (note) => {
    notes.push(note);
  };
  return { notes, record, actions: () => notes.map((n) => n.action) };
};
/** The recorder of a ledger that cannot append. */
const brokenLedger: PolicyRecorder = async () => {
  throw new Error('ledger unavailable');
};
const { record } = ledger();

const rejects = async (work: Promise<unknown>, status: number, pattern?: RegExp) =>
  assert.rejects(work, (e: unknown) => {
    assert.ok(e instanceof CustodiaError, String(e));
    assert.equal(e.status, status, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });

for (const { dialect, skip } of testDialects()) {
  describe(`policy store (${dialect})`, { skip }, () => {
    let t: TestStore;
    const clock = new ManualClock(atLocal(10));
    const treat = {
      action: 'read' as const,
      principal: principalFacts(['clinician']),
      resource: patientData(),
      context: contextOf(),
    };

    before(async () => {
      t = await openTestStore(dialect, policyMigrations);
    });
    after(async () => t.dispose());

    it('decides with the default pack at once, and stores it as version 1 once the ledger has recorded it', async () => {
      const service = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      const meanwhile = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      assert.equal(service.pdp.version, 1);
      assert.equal(service.pdp.decide(treat).permit, true);
      assert.deepEqual(await service.list(), [], 'not stored before it is recorded');
      await assert.rejects(service.installInitial(brokenLedger), /ledger unavailable/);
      assert.deepEqual(await service.list(), [], 'not stored when the ledger cannot record it');

      const l = ledger();
      const installed = await service.installInitial(l.record);
      assert.deepEqual(l.notes, [installed]);
      assert.equal(installed?.kind, 'policy-change');
      assert.equal(installed?.action, 'policy.activate');
      assert.match(installed?.reason ?? '', /^version 1 sha256:/);
      assert.equal(await service.installInitial(l.record), undefined, 'once');
      assert.equal(await meanwhile.installInitial(l.record), undefined, 'installed by another process');
      const again = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      assert.equal(await again.installInitial(l.record), undefined);
      assert.equal(l.notes.length, 1);
      assert.equal(again.pdp.digest, service.pdp.digest);
      const [v1] = await service.list();
      assert.equal(v1?.status, 'active');
      assert.deepEqual((await service.get(1)).files, defaultPolicyFiles());
    });

    it('rejects a policy that fails validation with Cedar’s message; the version in force stays', async () => {
      const service = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      assert.equal(service.pdp.decide(treat).permit, true);
      await rejects(
        service.propose(officer, record, {
          ...defaultPolicyFiles(),
          'bad.cedar': '@id("bad") forbid (principal, action, resource) when { principal.shoeSize > 40 };',
        }),
        400,
        /bad\.cedar bad: .*shoeSize/,
      );
      await rejects(
        service.propose(officer, record, { 'x.cedar': 'permit (principal, action, resource' }),
        400,
        /x\.cedar/,
      );
      assert.equal((await service.list()).length, 1, 'nothing was stored');
      assert.equal(service.pdp.version, 1);
      assert.equal(service.pdp.decide(treat).permit, true);
    });

    it('proposes, activates (decisions change at once) and keeps the history', async () => {
      const service = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      assert.equal(service.pdp.decide(treat).permit, true);
      clock.advance(60_000);
      const proposed = await service.propose(
        officer,
        record,
        { ...defaultPolicyFiles(), 'lockdown.cedar': LOCKDOWN },
        'incident 42',
      );
      assert.equal(proposed.version.version, 2);
      assert.equal(proposed.version.status, 'proposed');
      assert.equal(proposed.audit.action, 'policy.propose');
      assert.equal(service.pdp.decide(treat).permit, true, 'a proposal is not in force');
      clock.advance(60_000);
      const activated = await service.activate(officer, record, 2);
      assert.equal(activated.audit.action, 'policy.activate');
      assert.match(activated.audit.reason, new RegExp(`^version 2 ${proposed.version.digest}$`));
      const denied = service.pdp.decide(treat);
      assert.equal(denied.permit ? '' : denied.code, 'lockdown');
      assert.equal(denied.version, 2);
      assert.deepEqual(
        (await service.list()).map((v) => [v.version, v.status]),
        [
          [2, 'active'],
          [1, 'superseded'],
        ],
      );
      assert.deepEqual(
        (await service.history()).map((h) => [h.seq, h.version, h.action, h.by]),
        [
          [1, 1, 'activate', 'system:policy'],
          [2, 2, 'propose', 'u-po'],
          [3, 2, 'activate', 'u-po'],
        ],
      );
      // Another process sees the new version on refresh; a fresh open starts with it.
      const reopened = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      assert.equal(reopened.pdp.version, 2);
    });

    it('lets only privacy officers and administrators change policies, and only proposed versions activate', async () => {
      const service = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      await rejects(service.propose(clinician, record, defaultPolicyFiles()), 403);
      await rejects(service.activate(clinician, record, 2), 403);
      await rejects(service.activate(officer, record, 1), 409);
      await rejects(service.activate(officer, record, 99), 404);
      const other = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      const back = await service.propose(
        { ...officer, roles: ['admin'] },
        record,
        defaultPolicyFiles(),
        'lift lockdown',
      );
      await service.activate(officer, record, back.version.version);
      assert.equal(service.pdp.decide(treat).permit, true);
      assert.equal(await other.refresh(), true);
      assert.equal(other.pdp.decide(treat).permit, true);
      assert.equal(await other.refresh(), false);
    });

    it('records a change before committing it: no entry, no change; a commit that fails is recorded as failed', async () => {
      const service = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      const inForce = service.pdp.version;
      const stored = await service.list();
      const changes = await service.history();
      await assert.rejects(
        service.propose(officer, brokenLedger, defaultPolicyFiles()),
        /ledger unavailable/,
      );
      assert.deepEqual(await service.list(), stored, 'a proposal the ledger could not record is not stored');
      assert.deepEqual(await service.history(), changes);

      const l = ledger();
      const proposed = await service.propose(officer, l.record, defaultPolicyFiles(), 'recorded first');
      const next = proposed.version.version;
      assert.equal(next, inForce + 1);
      assert.deepEqual(l.notes, [proposed.audit], 'the entry names the version it took');
      assert.match(proposed.audit.reason, new RegExp(`^version ${next} sha256:`));

      await assert.rejects(service.activate(officer, brokenLedger, next), /ledger unavailable/);
      assert.equal(service.pdp.version, inForce, 'still the version in force');
      assert.equal(
        (await service.get(next)).status,
        'proposed',
        'an activation the ledger could not record is not made',
      );

      // Another process activates the version between this one's ledger entry and its commit.
      const other = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      const raced = ledger();
      const racing: PolicyRecorder = async (note) => {
        await raced.record(note);
        if (note.action === 'policy.activate') await other.activate(officer, record, next);
      };
      await rejects(service.activate(officer, racing, next), 409);
      assert.deepEqual(raced.actions(), ['policy.activate', 'policy.activate.failed']);
      assert.match(
        raced.notes[1]!.reason,
        new RegExp(`^not committed \\(conflict\\): version ${next} sha256:`),
      );
      assert.equal(service.pdp.version, inForce, 'this process did not switch on a failed activation');
      assert.equal(await service.refresh(), true, 'the other process’s activation stands');
      assert.equal(service.pdp.version, next);
    });
  });

  describe(`break-glass and emergencies (${dialect})`, { skip }, () => {
    let t: TestStore;
    const clock = new ManualClock(atLocal(10));

    before(async () => {
      t = await openTestStore(dialect, policyMigrations);
    });
    after(async () => t.dispose());

    it('grants a clinician time-limited access to one patient, flags its uses, and expires with a reason', async () => {
      const policies = await PolicyService.open({ store: t.store, tenant: TENANT, scheme, clock });
      const glass = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      const request = () => ({
        action: 'read' as const,
        principal: principalFacts(['clinician'], { userId: clinician.userId }),
        resource: patientData({ patientKey: 'p7', orgId: 'h2' }),
        context: contextOf({
          purpose: 'emergency-treatment',
          careRelationship: false,
          time: clock.now(),
          breakGlass: glass.stateFor(clinician.userId, 'p7'),
        }),
      });
      assert.equal(policies.pdp.decide(request()).permit, false);
      const { grant, audit } = await glass.declare(clinician, record, 'p7', '患者昏迷，需查看过敏史');
      assert.equal(grant.expiresAt - grant.declaredAt, 4 * HOUR);
      assert.equal(audit.kind, 'break-glass');
      assert.deepEqual(audit.patients, ['p7']);
      assert.doesNotMatch(audit.reason, /昏迷/, 'the typed reason stays out of the ledger');
      const during = policies.pdp.decide(request());
      assert.ok(during.permit);
      const flag = during.obligations.find((o) => o.kind === 'audit');
      assert.equal(flag?.kind === 'audit' ? flag.breakGlassGrant : undefined, grant.id);
      assert.deepEqual(glass.stateFor('someone-else', 'p7'), { state: 'none' });
      assert.deepEqual(glass.stateFor(clinician.userId, 'p8'), { state: 'none' });
      clock.advance(4 * HOUR);
      const expired = policies.pdp.decide(request());
      assert.equal(expired.permit ? '' : expired.code, 'break-glass-expired');
      assert.match(expired.permit ? '' : expired.zh, /过期/);
      // A process that starts later remembers the expired grant.
      const later = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      assert.equal(later.stateFor(clinician.userId, 'p7').state, 'expired');
    });

    it('keeps unreviewed grants listed until a privacy officer reviews them', async () => {
      const glass = await BreakGlassService.open({
        store: t.store,
        tenant: TENANT,
        clock,
        defaultTtlMs: HOUR,
      });
      const { grant } = await glass.declare(
        { ...clinician, roles: ['nurse'] },
        record,
        'p9',
        'cardiac arrest in ward 3',
      );
      assert.equal(grant.expiresAt - grant.declaredAt, HOUR);
      const queue = await glass.unreviewed();
      assert.ok(queue.length >= 2);
      assert.ok(queue.some((g) => g.id === grant.id));
      await rejects(glass.review(clinician, record, grant.id, 'justified', 'ok'), 403);
      const reviewed = await glass.review(officer, record, grant.id, 'justified', 'confirmed with ward');
      assert.equal(reviewed.grant.review?.outcome, 'justified');
      assert.equal(reviewed.audit.action, 'break-glass.review');
      assert.ok(!(await glass.unreviewed()).some((g) => g.id === grant.id));
      await rejects(glass.review(officer, record, grant.id, 'unjustified', 'again'), 409);
      await rejects(glass.review(officer, record, 'no-such-grant', 'justified', ''), 404);
    });

    it('refuses break-glass to non-clinicians, without a reason, or beyond 24 h', async () => {
      const glass = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      await rejects(
        glass.declare({ ...clinician, roles: ['researcher'] }, record, 'p1', 'curious about this case'),
        403,
      );
      await rejects(glass.declare(clinician, record, 'p1', ' ok '), 400);
      await rejects(glass.declare(clinician, record, 'p1', 'unconscious patient', 25 * HOUR), 400);
      await assert.rejects(
        BreakGlassService.open({ store: t.store, tenant: TENANT, clock, defaultTtlMs: 0 }),
      );
    });

    it('scopes a declared emergency by purpose, category, region and time, and ends it', async () => {
      const emergencies = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      await rejects(
        emergencies.declare(clinician, record, {
          reason: 'x',
          categories: ['public-health'],
          regions: ['42'],
          durationMs: HOUR,
        }),
        403,
      );
      await rejects(
        emergencies.declare(regulator, record, {
          reason: 'outbreak',
          categories: ['gossip'],
          regions: ['42'],
          durationMs: HOUR,
        }),
        400,
      );
      await rejects(
        emergencies.declare(regulator, record, {
          reason: 'outbreak',
          categories: ['health-status'],
          regions: ['Hubei'],
          durationMs: HOUR,
        }),
        400,
      );
      const now = clock.now();
      const { declaration, audit } = await emergencies.declare(regulator, record, {
        reason: '不明原因肺炎聚集性疫情',
        categories: ['health-status', 'public-health'],
        regions: ['4201'],
        durationMs: 14 * 24 * HOUR,
      });
      assert.equal(audit.action, 'emergency.declare');
      const use = {
        purpose: 'public-health-emergency' as const,
        category: 'health-status' as const,
        region: '420106',
      };
      assert.deepEqual(emergencies.covering(use), { declarationId: declaration.id });
      assert.equal(emergencies.covering({ ...use, region: '110105' }), undefined, 'outside the region');
      assert.equal(
        emergencies.covering({ ...use, category: 'medical-payment' }),
        undefined,
        'another category',
      );
      assert.equal(emergencies.covering({ ...use, purpose: 'research' }), undefined, 'another purpose');
      assert.equal(emergencies.covering({ ...use, region: null }), undefined, 'unknown region');
      assert.equal(emergencies.covering({ ...use, time: now + 15 * 24 * HOUR }), undefined, 'after its end');
      const other = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      assert.equal(other.active().length, 1);
      await emergencies.end(regulator, record, declaration.id);
      assert.equal(emergencies.covering(use), undefined);
      await rejects(emergencies.end(regulator, record, declaration.id), 409);
      await rejects(emergencies.end(regulator, record, 'nope'), 404);
      await other.refresh();
      assert.equal(other.active().length, 0);
    });

    it('records grants, reviews and emergencies before committing them; what the ledger refused is not in force', async () => {
      const glass = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      await assert.rejects(
        glass.declare(clinician, brokenLedger, 'p20', 'unconscious on arrival'),
        /ledger unavailable/,
      );
      assert.deepEqual(glass.stateFor(clinician.userId, 'p20'), { state: 'none' });
      assert.ok(!(await glass.unreviewed(1000)).some((g) => g.patientKey === 'p20'), 'nothing stored');

      const l = ledger();
      const { grant, audit } = await glass.declare(clinician, l.record, 'p20', 'unconscious on arrival');
      assert.deepEqual(l.notes, [audit]);
      assert.match(audit.reason, new RegExp(`^grant ${grant.id} until `), 'the entry names the grant’s id');
      assert.equal(glass.stateFor(clinician.userId, 'p20').state, 'active');

      await assert.rejects(
        glass.review(officer, brokenLedger, grant.id, 'justified', 'ok'),
        /ledger unavailable/,
      );
      assert.equal(
        (await glass.get(grant.id)).review,
        undefined,
        'a review the ledger could not record is not made',
      );

      // Another privacy officer's review commits between this one's ledger entry and its commit;
      // the entry saying this one failed cannot be written either: the caller still hears the 409.
      const other = await BreakGlassService.open({ store: t.store, tenant: TENANT, clock });
      const raced = ledger();
      const racing: PolicyRecorder = async (note) => {
        await raced.record(note);
        if (note.action === 'break-glass.review')
          await other.review(officer, record, grant.id, 'unjustified', 'first');
        else throw new Error('ledger unavailable');
      };
      await rejects(glass.review(officer, racing, grant.id, 'justified', 'second'), 409);
      assert.deepEqual(raced.actions(), ['break-glass.review', 'break-glass.review.failed']);
      assert.equal((await glass.get(grant.id)).review?.outcome, 'unjustified', 'the committed review stands');

      const emergencies = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      const scope = {
        reason: 'outbreak',
        categories: ['public-health'],
        regions: ['4201'],
        durationMs: HOUR,
      };
      const activeBefore = emergencies.active().length;
      await assert.rejects(emergencies.declare(regulator, brokenLedger, scope), /ledger unavailable/);
      assert.equal(emergencies.active().length, activeBefore);
      const reopened = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      assert.equal(reopened.active().length, activeBefore, 'nothing stored');

      const e = ledger();
      const { declaration } = await emergencies.declare(regulator, e.record, scope);
      assert.match(e.notes[0]!.reason, new RegExp(`^emergency ${declaration.id} `));
      await assert.rejects(emergencies.end(regulator, brokenLedger, declaration.id), /ledger unavailable/);
      assert.ok(
        emergencies.active().some((d) => d.id === declaration.id),
        'still in force',
      );
      const later = await EmergencyService.open({ store: t.store, tenant: TENANT, clock });
      assert.ok(
        later.active().some((d) => d.id === declaration.id),
        'still in force for every process',
      );

      const ending = ledger();
      const endRacing: PolicyRecorder = async (note) => {
        await ending.record(note);
        if (note.action === 'emergency.end') await later.end(regulator, record, declaration.id);
      };
      await rejects(emergencies.end(regulator, endRacing, declaration.id), 409);
      assert.deepEqual(ending.actions(), ['emergency.end', 'emergency.end.failed']);
      await rejects(emergencies.end(regulator, e.record, declaration.id), 409);
      await rejects(emergencies.end(regulator, e.record, 'nope'), 404);
      assert.deepEqual(e.actions(), ['emergency.declare'], 'a 404 or a 409 found beforehand is not recorded');
    });
  });
}
