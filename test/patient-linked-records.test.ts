/**
 * A patient's records at every hospital are theirs: the patient index (统一调阅编码) links the
 * Patient records two hospitals keep of one person, and the patient, signed in with the account
 * one of them linked, searches, reads and lists the other hospital's records as their own and
 * sees in their access log who opened them there. Her consent is one person's: a refusal made on
 * one record holds for the other. A stranger's records stay out of reach.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { TEST_PASSWORD, loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
const RESIDENT_ID = '110114198003225041';
const STRANGER_ID = '11010519491231002X';
const LATER_ID = '110101199003074477';

type Json = Record<string, unknown>;

for (const { dialect, skip } of testDialects()) {
  describe(`a patient's records at two hospitals are both theirs (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let patient: string;
    let clinicianB: string;
    const at: Record<'a' | 'b' | 'stranger', { patient: string; observation: string }> = {} as never;

    const call = (token: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
      ts.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const ok = async (token: string, url: string): Promise<Json> => {
      const res = await call(token, 'GET', url);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as Json;
    };
    const recordsAt = async (clinician: string, residentId: string) => {
      const create = async (resource: Json) => {
        const res = await call(clinician, 'POST', `/fhir/${String(resource.resourceType)}`, resource);
        assert.equal(res.statusCode, 201, res.body);
        return (res.json() as { id: string }).id;
      };
      const patientId = await create({
        resourceType: 'Patient',
        identifier: [{ system: RESIDENT_ID_SYSTEM, value: residentId }],
        name: [{ family: '吕', given: ['丹'] }],
      });
      const observation = await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patientId}` },
        valueQuantity: { value: 70, unit: '/min' },
      });
      return { patient: patientId, observation };
    };
    const idsOf = (bundle: Json) => ((bundle.entry ?? []) as { resource: Json }[]).map((e) => e.resource.id);

    before(async () => {
      ts = await startTestSystem(dialect);
      const clinicianA = await loginAs(ts, 'clin-a', ['clinician'], 'Hospital A');
      clinicianB = await loginAs(ts, 'clin-b', ['clinician'], 'Hospital B');
      at.a = await recordsAt(clinicianA, RESIDENT_ID);
      at.b = await recordsAt(clinicianB, RESIDENT_ID);
      at.stranger = await recordsAt(clinicianB, STRANGER_ID);
      const { directory, tenantId } = ts.system;
      const hospitalA = await directory.findOrganizationByName(tenantId, 'Hospital A');
      await directory.createUser(tenantId, {
        username: 'lv-dan',
        orgId: hospitalA!.id,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${at.a.patient}`,
      });
      patient = await loginAs(ts, 'lv-dan', ['patient'], 'Hospital A');
    });
    after(() => ts?.dispose());

    test('her searches find her records at both hospitals, and none of a stranger', async () => {
      const all = idsOf(await ok(patient, '/fhir/Observation'));
      assert.deepEqual(new Set(all), new Set([at.a.observation, at.b.observation]));
      assert.deepEqual(idsOf(await ok(patient, `/fhir/Observation?patient=${at.b.patient}`)), [
        at.b.observation,
      ]);
      assert.deepEqual(idsOf(await ok(patient, `/fhir/Observation?patient=${at.stranger.patient}`)), []);
    });

    test("she reads the other hospital's record by id; a stranger's is refused", async () => {
      assert.equal((await ok(patient, `/fhir/Observation/${at.b.observation}`)).id, at.b.observation);
      assert.equal((await ok(patient, `/fhir/Patient/${at.b.patient}`)).id, at.b.patient);
      const refused = await call(patient, 'GET', `/fhir/Observation/${at.stranger.observation}`);
      assert.equal(refused.statusCode, 403);
    });

    test('the portal lists her records of both hospitals', async () => {
      const { resources, total } = (await ok(patient, '/portal/records')) as {
        resources: Json[];
        total: number;
      };
      const ids = new Set(resources.map((r) => r.id));
      assert.deepEqual(ids, new Set([at.a.patient, at.a.observation, at.b.patient, at.b.observation]));
      assert.equal(total, 4);
      assert.equal(resources[0]!.resourceType, 'Patient', 'the Patient records first');
    });

    test('her access log shows who opened her record at the other hospital; she can complain of it', async () => {
      await ok(clinicianB, `/fhir/Observation/${at.b.observation}`);
      const log = (await ok(patient, '/portal/access-log')) as {
        entries: { index: number; action: string; organization: { name?: string } }[];
      };
      const there = log.entries.filter(
        (e) => e.organization.name === 'Hospital B' && e.action === 'Observation.read',
      );
      assert.ok(there.length > 0, JSON.stringify(log.entries));
      const indexes = log.entries.map((e) => e.index);
      assert.deepEqual(
        indexes,
        [...new Set(indexes)].sort((x, y) => x - y),
        'oldest first, each once',
      );
      const complaint = await call(patient, 'POST', '/portal/complaints', {
        topic: 'access',
        text: '我不认识这位医生',
        ledgerIndex: there[0]!.index,
      });
      assert.equal(complaint.statusCode, 201, complaint.body);
    });

    test('her refusal, made on her own record, holds for her record at the other hospital', async () => {
      const hospitalB = (await ts.system.directory.findOrganizationByName(ts.system.tenantId, 'Hospital B'))!;
      const read = (url: string) => call(clinicianB, 'GET', url);
      assert.equal((await read(`/fhir/Observation/${at.b.observation}`)).statusCode, 200);
      const rules = await call(patient, 'POST', `/consents/${at.a.patient}/rules`, {
        rules: [
          {
            effect: 'deny',
            purposes: ['TREAT'],
            recipient: { kind: 'organization', values: [hospitalB.id] },
          },
        ],
      });
      assert.equal(rules.statusCode, 201, rules.body);
      const ruleId = (rules.json() as { consent: { rules: { id: string }[] } }).consent.rules[0]!.id;

      const refused = await read(`/fhir/Observation/${at.b.observation}`);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.match(refused.body, /consent/);
      assert.equal((await read(`/fhir/Patient/${at.b.patient}`)).statusCode, 403);
      assert.deepEqual(idsOf(await ok(clinicianB, `/fhir/Observation?patient=${at.b.patient}`)), []);
      assert.equal(
        (await read(`/fhir/Observation/${at.stranger.observation}`)).statusCode,
        200,
        "another person's record at the same hospital is not touched",
      );

      const revoked = await call(patient, 'POST', `/consents/${at.a.patient}/revoke`, { rules: [ruleId] });
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.equal((await read(`/fhir/Observation/${at.b.observation}`)).statusCode, 200);
    });

    test('her consent view lists the rules she made through her account at the other hospital', async () => {
      const { directory, tenantId } = ts.system;
      const hospitalB = (await directory.findOrganizationByName(tenantId, 'Hospital B'))!;
      await directory.createUser(tenantId, {
        username: 'lv-dan-b',
        orgId: hospitalB.id,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${at.b.patient}`,
      });
      const atB = await loginAs(ts, 'lv-dan-b', ['patient'], 'Hospital B');
      const made = await call(atB, 'POST', `/consents/${at.b.patient}/rules`, {
        rules: [{ effect: 'deny', purposes: ['HMARKT'] }],
      });
      assert.equal(made.statusCode, 201, made.body);
      const view = (await ok(patient, `/consents/${at.a.patient}`)) as {
        linked: { patient: string; rules: { effect: string }[] }[];
      };
      assert.deepEqual(
        view.linked.map((c) => [c.patient, c.rules.map((r) => r.effect)]),
        [[at.b.patient, ['deny']]],
      );
    });

    test('a record linked later brings its rules at once to the records read before', async () => {
      const { directory, tenantId } = ts.system;
      const hospitalA = (await directory.findOrganizationByName(tenantId, 'Hospital A'))!;
      const clinicianA = await loginAs(ts, 'clin-a', ['clinician'], 'Hospital A');
      const first = await recordsAt(clinicianA, LATER_ID);
      // Read once: her set of records (this one alone) is now known, and kept.
      assert.equal((await call(clinicianA, 'GET', `/fhir/Observation/${first.observation}`)).statusCode, 200);

      const later = await recordsAt(clinicianB, LATER_ID);
      await directory.createUser(tenantId, {
        username: 'xu-b',
        orgId: (await directory.findOrganizationByName(tenantId, 'Hospital B'))!.id,
        roles: ['patient'],
        password: TEST_PASSWORD,
        patientRef: `Patient/${later.patient}`,
      });
      const atB = await loginAs(ts, 'xu-b', ['patient'], 'Hospital B');
      const made = await call(atB, 'POST', `/consents/${later.patient}/rules`, {
        rules: [
          {
            effect: 'deny',
            purposes: ['TREAT'],
            recipient: { kind: 'organization', values: [hospitalA.id] },
          },
        ],
      });
      assert.equal(made.statusCode, 201, made.body);

      const refused = await call(clinicianA, 'GET', `/fhir/Observation/${first.observation}`);
      assert.equal(refused.statusCode, 403, 'decided with the rules of the record linked since');
      assert.match(refused.body, /consent/);
    });

    test('the access log pages through both records without gaps or repeats', async () => {
      const whole = (await ok(patient, '/portal/access-log?limit=500')) as { entries: { index: number }[] };
      assert.ok(whole.entries.length > 2, 'more than one page of two');
      const paged: number[] = [];
      let after: number | undefined;
      for (;;) {
        const page = (await ok(
          patient,
          `/portal/access-log?limit=2${after === undefined ? '' : `&after=${after}`}`,
        )) as {
          entries: { index: number }[];
          next?: number;
        };
        paged.push(...page.entries.map((e) => e.index));
        if (page.next === undefined) break;
        after = page.next;
      }
      assert.deepEqual(
        paged,
        whole.entries.map((e) => e.index),
      );
    });
  });
}
