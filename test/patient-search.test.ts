/**
 * A patient's own FHIR searches (a patient-facing app asking for `Observation?patient=…`) find
 * their records and nobody else's: the search looks only at the signed-in patient's records
 * before the policy decides on each. It used to look at none and answer a total of 0.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { TEST_PASSWORD, loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

interface Searchset {
  total?: number;
  entry?: { resource: { id: string; resourceType: string } }[];
}

for (const { dialect, skip } of testDialects()) {
  describe(`a patient searches their own records over FHIR (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let clinician: string;
    let alice: { patient: string; observation: string; token: string };
    let bob: { patient: string; observation: string };

    const call = (token: string, method: string, url: string, payload?: unknown) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? { 'x-purpose-of-use': 'PATRQT' }
            : { 'content-type': 'application/fhir+json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const create = async (resource: Record<string, unknown>) => {
      const res = await call(clinician, 'POST', `/fhir/${String(resource.resourceType)}`, resource);
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };
    const recordsOf = async (family: string) => {
      const patient = await create({ resourceType: 'Patient', name: [{ family, given: ['测试'] }] });
      const observation = await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patient}` },
        valueQuantity: { value: 70, unit: '/min' },
      });
      return { patient, observation };
    };
    const search = async (token: string, url: string) => {
      const res = await call(token, 'GET', url);
      assert.equal(res.statusCode, 200, res.body);
      const bundle = res.json() as Searchset;
      return { ids: (bundle.entry ?? []).map((e) => e.resource.id), total: bundle.total };
    };

    before(async () => {
      ts = await startTestSystem(dialect);
      clinician = await loginAs(ts, 'clin-s', ['clinician'], 'Search Hospital');
      const mine = await recordsOf('王');
      bob = await recordsOf('李');
      const { directory, tenantId } = ts.system;
      const org = await directory.findOrganizationByName(tenantId, 'Search Hospital');
      await directory.createUser(tenantId, {
        username: 'alice-s',
        orgId: org!.id,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${mine.patient}`,
      });
      const login = await ts.app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ username: 'alice-s', password: TEST_PASSWORD }),
      });
      alice = { ...mine, token: (login.json() as { access_token: string }).access_token };
    });
    after(() => ts?.dispose());

    test('her Observations, by her patient id or without one', async () => {
      const byPatient = await search(alice.token, `/fhir/Observation?patient=${alice.patient}`);
      assert.deepEqual(byPatient.ids, [alice.observation]);
      assert.equal(byPatient.total, 1);
      const all = await search(alice.token, '/fhir/Observation');
      assert.deepEqual(all.ids, [alice.observation], 'only hers, though the hospital holds two');
      const patients = await search(alice.token, '/fhir/Patient');
      assert.deepEqual(patients.ids, [alice.patient]);
    });

    test("another patient's records are not found by her", async () => {
      const other = await search(alice.token, `/fhir/Observation?patient=${bob.patient}`);
      assert.deepEqual(other.ids, []);
      const read = await call(alice.token, 'GET', `/fhir/Observation/${bob.observation}`);
      assert.equal(read.statusCode, 403, 'nor read by id');
    });
  });
}
