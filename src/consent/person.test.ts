/**
 * One person's consent over their records at two hospitals: the rules made on either record
 * decide for both, with the precedence of one consent, and nobody else's records are touched.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../core/index.js';
import { getScheme, type Purpose } from '../classify/index.js';
import { cryptoMigrations, LocalKeyring } from '../crypto/index.js';
import { openTestStore, testDialects, type TestStore } from '../store/testing.js';
import { ConsentService } from './service.js';
import { consentMigrations } from './tables.js';
import { person, TEST_TENANT } from './testing.js';

const officer = { principal: person('u-officer', null, ['privacy-officer']) };
/** The patient, signed in with the account that hospital linked to this record. */
const self = (patient: string) => ({ principal: person(`u-${patient}`, patient) });

/** `ann-a` and `ann-b` are one person's records at two hospitals; `solo` is linked to nothing. */
const sameAs = async (patient: string): Promise<string[]> => {
  const dash = patient.indexOf('-');
  return dash < 0 ? [patient] : [`${patient.slice(0, dash)}-a`, `${patient.slice(0, dash)}-b`];
};

for (const { dialect, skip } of testDialects()) {
  describe(`one person's consent across their linked records (${dialect})`, { skip }, () => {
    let t: TestStore;
    let service: ConsentService;
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 4));
    const lookups: string[] = [];

    before(async () => {
      t = await openTestStore(dialect, [...cryptoMigrations, ...consentMigrations]);
      service = new ConsentService({
        store: t.store,
        tenant: TEST_TENANT,
        scheme: getScheme('seed-3-grade'),
        keys: await LocalKeyring.open({ dataDir: t.dataDir, masterKey: randomBytes(32) }),
        issuer: 'https://custodia.test',
        clock,
        organizationType: async () => 'research-institute',
        linkedRecords: async (patient) => {
          lookups.push(patient);
          return sameAs(patient);
        },
      });
    });
    after(() => t?.dispose());

    const use = (patient: string, purpose: Purpose = 'research', project?: string) => ({
      patient,
      labels: ['health-status'],
      grade: 'seed-3-grade:grade-2',
      purpose,
      recipient: { organization: 'ri-1', ...(project ? { project } : {}) },
    });
    const permits = async (patient: string, purpose?: Purpose, project?: string) =>
      (await service.evaluate(use(patient, purpose, project))).permit;

    test('a grant on one record reaches the other; a refusal as specific made on the other wins', async () => {
      assert.equal(await permits('ann-b'), false, 'research is opt-in');
      const granted = await service.addRules(self('ann-a'), 'ann-a', [
        { effect: 'grant', purposes: ['research'] },
      ]);
      const onB = await service.evaluate(use('ann-b'));
      assert.equal(onB.permit, true);
      assert.equal(
        onB.rule?.id,
        granted.consent.rules[0]!.id,
        "decided by the rule made on ann's other record",
      );
      assert.equal(onB.version, 0, "the version is the record's own consent's");
      assert.equal(onB.rule?.linkedRecord, 'ann-a');
      assert.match(
        onB.reason,
        /^rule #1 of the patient's consent on their record at another organization grants/,
      );
      assert.match(onB.zh, /其他机构档案/);
      assert.equal((await service.evaluate(use('ann-a'))).rule?.linkedRecord, undefined);
      assert.equal(await permits('solo'), false, 'nobody else is touched');

      await service.addRules(self('ann-b'), 'ann-b', [{ effect: 'deny', purposes: ['research'] }]);
      assert.equal(await permits('ann-b'), false);
      assert.equal(await permits('ann-a'), false, 'deny overrides grant, whichever record each was made on');
    });

    test("the view of one record lists the rules on the person's other records", async () => {
      const granted = await service.addRules(self('fay-a'), 'fay-a', [
        { effect: 'grant', purposes: ['research'] },
      ]);
      const view = await service.view(self('fay-b'), 'fay-b');
      assert.deepEqual(view.consent.rules, []);
      assert.deepEqual(
        view.linked.map((c) => [c.patient, c.rules.map((r) => r.id)]),
        [['fay-a', [granted.consent.rules[0]!.id]]],
      );
      assert.deepEqual((await service.view(self('solo'), 'solo')).linked, []);
    });

    test('the specific overrides the general across records', async () => {
      await service.addRules(self('bo-a'), 'bo-a', [{ effect: 'deny', purposes: ['research'] }]);
      await service.addRules(self('bo-b'), 'bo-b', [
        { effect: 'grant', purposes: ['research'], recipient: { kind: 'project', values: ['proj-x'] } },
      ]);
      for (const record of ['bo-a', 'bo-b']) {
        assert.equal(await permits(record, 'research', 'proj-x'), true, record);
        assert.equal(await permits(record, 'research', 'proj-y'), false, record);
      }
    });

    test('what the law decides is not the person’s to refuse on any record', async () => {
      await service.addRules(self('cai-a'), 'cai-a', [{ effect: 'deny' }]);
      const d = await service.evaluate(use('cai-b', 'emergency-treatment'));
      assert.equal(d.permit, true);
      assert.equal(d.basis, 'legal-basis');
      assert.equal(await permits('cai-b', 'treatment'), false);
    });

    test('the cached answers agree once warm; a label rule on one record makes the other read labels', async () => {
      assert.equal(service.evaluateCached(use('dai-b')), undefined, 'nothing known yet');
      assert.equal(service.readsLabels('dai-b'), undefined);
      await service.evaluate(use('dai-b'));
      assert.equal(service.evaluateCached(use('dai-b'))?.permit, false);
      assert.equal(service.readsLabels('dai-b'), false);
      await service.addRules(self('dai-a'), 'dai-a', [
        { effect: 'grant', purposes: ['research'], labels: ['health-status'] },
      ]);
      await service.evaluate(use('dai-a'));
      assert.equal(service.readsLabels('dai-b'), true);
      assert.equal(service.evaluateCached(use('dai-b'))?.permit, true);
      const before = lookups.filter((p) => p === 'dai-b').length;
      await service.evaluate(use('dai-b'));
      assert.equal(lookups.filter((p) => p === 'dai-b').length, before, 'the linked records are kept');
    });

    test('a withdrawal on one record flags the derived data made with the other', async () => {
      const granted = await service.addRules(self('eve-a'), 'eve-a', [
        { effect: 'grant', purposes: ['research'] },
      ]);
      const release = {
        purpose: 'research' as const,
        recipient: { organization: 'ri-1', project: 'proj-1' },
        grades: ['grade-2'],
        labels: ['health-status'],
      };
      await service.include(officer, { kind: 'dataset', id: 'ds-eve' }, release, ['eve-b']);
      const revoked = await service.revoke(self('eve-a'), 'eve-a', [granted.consent.rules[0]!.id]);
      assert.deepEqual(
        revoked.flagged.map((f) => [f.id, f.patient]),
        [['ds-eve', 'eve-b']],
      );
      const screen = await service.screenRelease(['eve-b'], release);
      assert.deepEqual(screen.include, []);
    });
  });
}
