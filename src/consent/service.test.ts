import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ManualClock, type OrgId } from '../core/index.js';
import { getScheme } from '../classify/index.js';
import { cryptoMigrations, LocalKeyring } from '../crypto/index.js';
import { openTestStore, testDialects, type TestStore } from '../store/testing.js';
import { ConsentService, type ConsentAuditEvent } from './service.js';
import { consentMigrations } from './tables.js';
import { person, TEST_TENANT } from './testing.js';

const TENANT = TEST_TENANT;
const ISSUER = 'https://custodia.test';

for (const { dialect, skip } of testDialects()) {
  describe(`consent service (${dialect})`, { skip }, () => {
    let t: TestStore;
    let service: ConsentService;
    const events: ConsentAuditEvent[] = [];
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 4));
    const alice = { principal: person('u-alice', 'alice') };
    const parent = { principal: person('u-parent', null) };
    const officer = { principal: person('u-officer', null, ['privacy-officer']) };

    before(async () => {
      t = await openTestStore(dialect, [...cryptoMigrations, ...consentMigrations]);
      const keys = await LocalKeyring.open({ dataDir: t.dataDir, masterKey: randomBytes(32) });
      service = new ConsentService({
        store: t.store,
        tenant: TENANT,
        scheme: getScheme('seed-3-grade'),
        keys,
        issuer: ISSUER,
        clock,
        audit: async (e) => {
          events.push(e);
        },
        organizationType: async (org) => (org.startsWith('ri-') ? 'research-institute' : 'hospital'),
      });
    });
    after(() => t?.dispose());

    const research = (patient: string, project?: string) => ({
      patient,
      labels: ['health-status'],
      grade: 'seed-3-grade:grade-2',
      purpose: 'research' as const,
      recipient: { organization: 'ri-1', ...(project ? { project } : {}) },
    });

    test('a grant is in force from the next evaluation, and a revocation too', async () => {
      assert.equal((await service.evaluate(research('alice'))).permit, false, 'opt-in default');
      const granted = await service.addRules(alice, 'alice', [
        {
          effect: 'grant',
          purposes: ['HRESCH'],
          recipient: { kind: 'organization-type', values: ['research-institute'] },
        },
      ]);
      assert.equal(granted.version.version, 1);
      const d = await service.evaluate(research('alice'));
      assert.equal(d.permit, true);
      assert.equal(d.rule?.id, granted.consent.rules[0]!.id);
      assert.equal(service.evaluateCached(research('alice'))?.permit, true);
      await service.revoke(alice, 'alice', [granted.consent.rules[0]!.id]);
      assert.equal(service.evaluateCached(research('alice'))?.permit, false);
      assert.equal((await service.evaluate(research('alice'))).version, 2);
      assert.deepEqual(
        events.filter((e) => e.kind === 'consent-change').map((e) => e.action),
        ['consent.grant', 'consent.revoke'],
      );
    });

    test('a load that began before a change does not bring the old rules back', async () => {
      const loading = service.evaluate(research('bob'));
      await service.addRules({ principal: person('u-bob', 'bob') }, 'bob', [
        { effect: 'grant', purposes: ['research'] },
      ]);
      await loading;
      assert.equal((await service.evaluate(research('bob'))).permit, true);
    });

    test('history, receipts that verify, and a tampered receipt that does not', async () => {
      const history = await service.history(alice, 'alice');
      assert.deepEqual(
        history.map((v) => [v.version, v.action, v.actedAs]),
        [
          [2, 'revoke', 'self'],
          [1, 'grant', 'self'],
        ],
      );
      const { claims } = await service.receipt(alice, 'alice', 1);
      assert.equal(claims.sub, 'Patient/alice');
      assert.equal(claims.consent.version, 1);
      assert.equal(claims.consent.rulesHash, history[1]!.rulesHash);
      const [h, p, s] = history[0]!.receipt.split('.');
      const forged = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'Patient/mallory' }),
      ).toString('base64url');
      await assert.rejects(service.verifyReceipt(`${h}.${forged}.${s}`), /does not verify/);
    });

    test('another patient’s consent: 403, recorded', async () => {
      const before = events.length;
      await assert.rejects(service.view(alice, 'bob'), (e: Error & { status?: number }) => e.status === 403);
      assert.deepEqual(
        events.slice(before).map((e) => [e.kind, e.decision, e.reason, e.patients[0]]),
        [['access-decision', 'deny', 'not-own-consent', 'bob']],
      );
    });

    test('a guardian manages a minor’s consent until the minor turns 18 (China time)', async () => {
      // Born 2010-03-15: of age from 2028-03-15 00:00 at UTC+8, i.e. 2028-03-14T16:00Z.
      const g = await service.registerGuardian(officer, 'minor', {
        guardian: 'u-parent',
        relationship: 'parent',
        birthDate: '2010-03-15',
      });
      assert.equal(g.endsAt, Date.UTC(2028, 2, 14, 16));
      assert.equal((await service.wards(parent)).length, 1);
      const changed = await service.addRules(parent, 'minor', [
        { effect: 'deny', purposes: ['ai-training'] },
      ]);
      assert.equal(changed.version.actedAs, 'guardian');
      await assert.rejects(
        service.registerGuardian(officer, 'adult', {
          guardian: 'u-parent',
          relationship: 'parent',
          birthDate: '2000-01-01',
        }),
        /of age/,
      );
      await assert.rejects(
        service.registerGuardian(parent, 'minor', {
          guardian: 'u-parent',
          relationship: 'parent',
          birthDate: '2010-03-15',
        }),
        (e: Error & { status?: number }) => e.status === 403,
      );
      const saved = clock.now();
      clock.set(Date.UTC(2028, 2, 14, 16) - 1);
      assert.equal((await service.view(parent, 'minor')).actedAs, 'guardian');
      clock.set(Date.UTC(2028, 2, 14, 16));
      await assert.rejects(service.view(parent, 'minor'), /guardianship of this patient has ended/);
      assert.equal((await service.wards(parent)).length, 0);
      assert.equal(events.at(-1)?.reason, 'guardianship-ended');
      clock.set(saved);
    });

    test('revocation reaches derived data: inclusions flagged, later releases exclude the patient', async () => {
      const carol = { principal: person('u-carol', 'carol') };
      const granted = await service.addRules(carol, 'carol', [{ effect: 'grant', purposes: ['research'] }]);
      const use = {
        purpose: 'research' as const,
        recipient: { organization: 'ri-1', project: 'proj-1' },
        grades: ['grade-2', 'grade-3'],
        labels: ['health-status'],
      };
      await service.include(officer, { kind: 'dataset', id: 'ds-1' }, use, ['carol', 'alice']);
      let screen = await service.screenRelease(['carol', 'alice'], use, { kind: 'dataset', id: 'ds-1' });
      assert.deepEqual(screen.include, ['carol']);
      assert.deepEqual(
        screen.exclude.map((x) => x.patient),
        ['alice'],
      );
      const revoked = await service.revoke(carol, 'carol', 'all-grants');
      assert.deepEqual(
        revoked.flagged.map((f) => [f.kind, f.id, f.flag?.version]),
        [['dataset', 'ds-1', revoked.version.version]],
      );
      assert.ok(revoked.version.removed.includes(granted.consent.rules[0]!.id));
      screen = await service.screenRelease(['carol'], use, { kind: 'dataset', id: 'ds-1' });
      assert.deepEqual(screen.include, []);
      assert.match(screen.exclude[0]!.reason, /flagged at consent version/);
      // A later grant does not unflag what was released before the revocation.
      await service.addRules(carol, 'carol', [{ effect: 'grant', purposes: ['research'] }]);
      assert.equal((await service.inclusions.forDerived('dataset', 'ds-1', true)).length, 1);
    });

    test('complaints: sealed, followed by the patient, handled by the organization', async () => {
      const filed = await service.fileComplaint(alice, 'alice', {
        topic: 'access',
        text: '我不认识这位医生，为什么查看了我的病历？',
        organization: 'org-h',
      });
      const row = await t.store
        .tables<{ consent_complaint: { id: string; body: Uint8Array } }>()
        .selectFrom('consent_complaint')
        .select('body')
        .where('id', '=', filed.id)
        .executeTakeFirstOrThrow();
      assert.ok(!Buffer.from(row.body).toString('utf8').includes('医生'), 'the text is sealed at rest');
      const listed = await service.organizationComplaints(officer);
      assert.equal(listed[0]?.text, filed.text);
      await service.setComplaintStatus(officer, filed.id, 'in-review');
      await assert.rejects(service.setComplaintStatus(officer, filed.id, 'received'), /cannot become/);
      const mine = await service.complaintsOf(alice, 'alice');
      assert.deepEqual(
        mine[0]?.history.map((h) => h.status),
        ['received', 'in-review'],
      );
      const elsewhere = {
        principal: { ...person('u-other', null, ['privacy-officer']), orgId: 'org-x' as OrgId },
      };
      assert.equal((await service.organizationComplaints(elsewhere)).length, 0);
      await assert.rejects(
        service.setComplaintStatus(elsewhere, filed.id, 'resolved'),
        /another organization/,
      );
    });
  });
}
