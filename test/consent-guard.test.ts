import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OrgId } from '../src/core/index.js';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, TEST_PASSWORD, type TestSystem } from './helpers/system.js';

type Json = Record<string, unknown> & { entry?: { resource: { id: string } }[]; total?: number };

for (const { dialect, skip } of testDialects()) {
  describe(`guard asks the patient's consent before releasing their data (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let clinician: string;
    let patientId: string;
    let patientToken: string;
    let observationId: string;
    let orgA: OrgId;

    const call = (token: string, method: string, url: string, payload?: unknown, purpose?: string) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(purpose ? { 'x-purpose-of-use': purpose } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const created = async (resource: object) => {
      const res = await call(
        clinician,
        'POST',
        `/fhir/${(resource as { resourceType: string }).resourceType}`,
        resource,
      );
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };
    const readObservation = (token: string, purpose?: string) =>
      call(token, 'GET', `/fhir/Observation/${observationId}`, undefined, purpose);
    const searchIds = async (purpose?: string) => {
      const res = await call(
        clinician,
        'GET',
        `/fhir/Observation?patient=${patientId}&_total=accurate`,
        undefined,
        purpose,
      );
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as Json;
      return { ids: (body.entry ?? []).map((e) => e.resource.id), total: body.total };
    };

    before(async () => {
      ts = await startTestSystem(dialect);
      clinician = await loginAs(ts, 'clin-a', ['clinician'], 'Hospital A');
      const { directory, tenantId } = ts.system;
      orgA = (await directory.findOrganizationByName(tenantId, 'Hospital A'))!.id;
      patientId = await created({
        resourceType: 'Patient',
        name: [{ family: '周', given: ['敏'] }],
        birthDate: '1970-02-03',
      });
      observationId = await created({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: '2026-01-02T03:04:05Z',
        valueQuantity: { value: 72, unit: '/min' },
      });
      await directory.createUser(tenantId, {
        username: 'zhou',
        orgId: orgA,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${patientId}`,
      });
      patientToken = (
        (
          await ts.app.inject({
            method: 'POST',
            url: '/auth/token',
            payload: { username: 'zhou', password: TEST_PASSWORD },
          })
        ).json() as {
          access_token: string;
        }
      ).access_token;
    });
    after(() => ts?.dispose());

    test('a refusal applies from the very next request, and its revocation too', async () => {
      const first = await readObservation(clinician, 'TREAT');
      assert.equal(first.statusCode, 200, first.body);
      assert.deepEqual((await searchIds()).ids, [observationId], 'no purpose declared: taken as treatment');

      const rules = await call(patientToken, 'POST', `/consents/${patientId}/rules`, {
        rules: [{ effect: 'deny', purposes: ['TREAT'], recipient: { kind: 'organization', values: [orgA] } }],
      });
      assert.equal(rules.statusCode, 201, rules.body);
      const ruleId = (rules.json() as { consent: { rules: { id: string }[] } }).consent.rules[0]!.id;

      const refused = await readObservation(clinician, 'TREAT');
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /consent/);
      assert.match(refused.body, /同意/);
      const search = await searchIds('TREAT');
      assert.deepEqual(search.ids, [], "withheld from searches, as other organizations' records are");
      assert.equal(search.total, undefined, 'no total that counts what was withheld');
      const everything = await call(
        clinician,
        'GET',
        `/fhir/Patient/${patientId}/$everything`,
        undefined,
        'TREAT',
      );
      assert.equal(everything.statusCode, 403, 'the Patient itself is refused, so is its compartment');
      assert.match(everything.body, /consent/);
      assert.equal(
        (await readObservation(clinician, 'ETREAT')).statusCode,
        200,
        'emergency care is not theirs to refuse',
      );
      assert.equal(
        (await readObservation(patientToken)).statusCode,
        200,
        'the patient reads their own record',
      );

      const token = ts.system.guard.patientToken(patientId)!;
      const { entries } = await ts.system.ledger.query({
        patient: token,
        kind: 'access-decision',
        limit: 100,
      });
      const denials = entries.filter((e) => e.entry.reason === 'consent-denied');
      assert.ok(denials.length >= 3, 'the read, the search and $everything each recorded a denial');

      const revoked = await call(patientToken, 'POST', `/consents/${patientId}/revoke`, { rules: [ruleId] });
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.equal((await readObservation(clinician, 'TREAT')).statusCode, 200);
      assert.deepEqual((await searchIds('TREAT')).ids, [observationId]);
    });

    test('research on identified records is refused whatever the consent: researchers query or export under an agreement', async () => {
      const conditionId = await created({
        resourceType: 'Condition',
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
        },
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E11.9' }] },
        subject: { reference: `Patient/${patientId}` },
      });
      const condition = await ts.system.records.current('Condition', conditionId);
      assert.equal(condition!.grade, 'seed-3-grade:grade-2', 'a chronic disease is sensitive health data');
      const readCondition = () =>
        call(clinician, 'GET', `/fhir/Condition/${conditionId}`, undefined, 'HRESCH');

      const before = await readCondition();
      assert.equal(before.statusCode, 403);
      assert.deepEqual((await searchIds('HRESCH')).ids, []);
      const grant = await call(patientToken, 'POST', `/consents/${patientId}/rules`, {
        rules: [{ effect: 'grant', purposes: ['HRESCH'] }],
      });
      assert.equal(grant.statusCode, 201, grant.body);
      const after = await readCondition();
      assert.equal(after.statusCode, 403, 'consent given, yet the policy has no permit for it');
    });

    test('a rule about a security label is matched against the labels in the sealed body', async () => {
      const condition = (code: string) =>
        created({
          resourceType: 'Condition',
          code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code }] },
          subject: { reference: `Patient/${patientId}` },
        });
      const depression = await condition('F32.9');
      const fracture = await condition('S52.5');
      const read = (id: string) => call(clinician, 'GET', `/fhir/Condition/${id}`, undefined, 'TREAT');
      assert.equal((await read(depression)).statusCode, 200);
      const rule = await call(patientToken, 'POST', `/consents/${patientId}/rules`, {
        rules: [{ effect: 'deny', labels: ['PSY'] }],
      });
      assert.equal(rule.statusCode, 201, rule.body);
      assert.equal((await read(depression)).statusCode, 403, 'labelled PSY: refused');
      assert.equal((await read(fracture)).statusCode, 200, 'not labelled PSY: released');
    });
  });
}
