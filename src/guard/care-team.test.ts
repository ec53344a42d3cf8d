import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, type OrgId, type TenantId, type UserId } from '../core/index.js';
import type { Principal } from '../identity/index.js';
import {
  createEncounter,
  createPatient,
  createPractitioner,
  openTestRecords,
  TEST_HOSPITAL,
  type TestRecords,
} from '../records/testing.js';
import { testDialects } from '../store/testing.js';
import { CareTeam } from './care-team.js';

const DAY_MS = 86_400_000;
const VISIT = Date.UTC(2026, 2, 1, 1);
const VISIT_END = VISIT + 3_600_000;
const LICENCE = 'CN-110-2020-0001';

const clinician = (licence: string): Principal => ({
  tenantId: TEST_HOSPITAL.tenant as TenantId,
  userId: `u-${licence}` as UserId,
  username: `dr-${licence}`,
  kind: 'person',
  orgId: TEST_HOSPITAL.orgId as OrgId,
  roles: ['clinician'],
  qualifications: [{ type: 'practising-licence', value: licence }],
  department: null,
  patientRef: null,
  credentialId: `t-${licence}`,
  purposeOfUse: 'TREAT',
});

for (const { dialect, skip } of testDialects()) {
  describe(`care team over time (${dialect})`, { skip }, () => {
    let t: TestRecords;
    const clock = new ManualClock(VISIT);
    const patients = { visited: '', ofGp: '' };
    const doctor = clinician(LICENCE);
    const data = (patientKey: string) => ({ patientKey, orgId: TEST_HOSPITAL.orgId });

    before(async () => {
      t = await openTestRecords(dialect, clock);
      const practitioner = await createPractitioner(t.records, LICENCE);
      patients.visited = await createPatient(t.records);
      await createEncounter(t.records, {
        patient: patients.visited,
        practitioner,
        status: 'finished',
        start: VISIT,
        end: VISIT_END,
      });
      patients.ofGp = await createPatient(t.records, practitioner);
    });
    after(() => t?.dispose());

    test('a relationship holds within the window after the encounter, and ends as the clock moves on', async () => {
      const team = new CareTeam(t.records, clock, 'records', 30);
      clock.set(VISIT_END + 29 * DAY_MS);
      assert.equal(await team.includes(doctor, data(patients.visited)), true);
      clock.set(VISIT_END + 31 * DAY_MS);
      assert.equal(await team.includes(doctor, data(patients.visited)), false);
    });

    test('a remembered "yes" does not outlive the relationship', async () => {
      const team = new CareTeam(t.records, clock, 'records', 30);
      const lapses = VISIT_END + 1 + 30 * DAY_MS;
      clock.set(lapses - 1_000);
      assert.equal(await team.includes(doctor, data(patients.visited)), true);
      clock.set(lapses); // a second later: within the answer's usual 30 s, but the window has passed
      assert.equal(await team.includes(doctor, data(patients.visited)), false);
    });

    test('the general practitioner stays on the care team', async () => {
      const team = new CareTeam(t.records, clock, 'records', 30);
      clock.set(VISIT + 10 * 365 * DAY_MS);
      assert.equal(await team.includes(doctor, data(patients.ofGp)), true);
      assert.equal(await team.includes(doctor, data(patients.visited)), false);
    });

    test('the default window is 90 days', async () => {
      const team = new CareTeam(t.records, clock);
      clock.set(VISIT_END + 89 * DAY_MS);
      assert.equal(await team.includes(doctor, data(patients.visited)), true);
      clock.set(VISIT_END + 91 * DAY_MS);
      assert.equal(await team.includes(doctor, data(patients.visited)), false);
    });
  });
}
