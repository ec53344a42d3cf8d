/**
 * guard decides with the policy: a purpose is required, care relationships come from the records
 * (an Encounter naming the clinician, matched by practising-licence number), other purposes get
 * their obligations carried out (identifiers masked, special categories left out), and uses that
 * are permitted on de-identified data only are refused on identified records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { AdjustableClock, loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

const FHIR = 'application/fhir+json';
const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
const LICENCE_SYSTEM = 'urn:oid:2.16.156.10011.1.4';

type Json = Record<string, unknown>;

const DENIAL_REASONS = 'https://custodia.dev/fhir/CodeSystem/denial-reason';
const DAY_MS = 86_400_000;
interface Outcome {
  resourceType: string;
  issue: { code: string; details?: { coding?: { system: string; code: string }[]; text?: string } }[];
}

/** A 403 under /fhir: its reason code, read from the OperationOutcome's details.coding. */
function reasonOf(res: { statusCode: number; body: string; json: () => unknown }): string | undefined {
  assert.equal(res.statusCode, 403, res.body);
  const outcome = res.json() as Outcome;
  assert.equal(outcome.resourceType, 'OperationOutcome');
  const codings = outcome.issue[0]?.details?.coding ?? [];
  assert.ok(outcome.issue[0]?.details?.text, 'the Chinese message stays in details.text');
  return codings.find((c) => c.system === DENIAL_REASONS)?.code;
}

for (const { dialect, skip } of testDialects()) {
  describe(`guard decides with the policy (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let writer: string;
    let treating: string;
    let colleague: string;
    let steward: string;
    let patientId: string;
    let observationId: string;
    let hivId: string;
    const clock = new AdjustableClock();

    const call = (token: string, method: string, url: string, payload?: unknown, purpose?: string) =>
      ts.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(purpose === undefined ? {} : { 'x-purpose-of-use': purpose }),
          ...(payload === undefined ? {} : { 'content-type': FHIR }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const create = async (resource: Json & { resourceType: string }) => {
      const res = await call(writer, 'POST', `/fhir/${resource.resourceType}`, resource);
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };

    before(async () => {
      ts = await startTestSystem(dialect, { CUSTODIA_CARE_RELATIONSHIP: 'records' }, { clock });
      writer = await loginAs(ts, 'his-feed', ['data-steward'], 'Policy Hospital');
      treating = await loginAs(ts, 'dr-li', ['clinician'], 'Policy Hospital', { licence: '110105000000001' });
      colleague = await loginAs(ts, 'dr-wu', ['clinician'], 'Policy Hospital', {
        licence: '110105000000002',
      });
      steward = await loginAs(ts, 'payer-desk', ['data-steward'], 'Policy Hospital', { purpose: 'HPAYMT' });
      const practitioner = await create({
        resourceType: 'Practitioner',
        identifier: [{ system: LICENCE_SYSTEM, value: '110105000000001' }],
        name: [{ family: '李', given: ['医生'] }],
      });
      patientId = await create({
        resourceType: 'Patient',
        identifier: [{ system: RESIDENT_ID_SYSTEM, value: '11010519491231002X' }],
        name: [{ family: '张', given: ['三丰'] }],
        telecom: [{ system: 'phone', value: '13812345678' }],
        birthDate: '1949-12-31',
      });
      await create({
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${patientId}` },
        participant: [{ individual: { reference: `Practitioner/${practitioner}` } }],
        // An hour's visit that ended an hour ago: the care relationship lasts careWindowDays (90) after it.
        period: {
          start: new Date(clock.now() - 2 * 3_600_000).toISOString(),
          end: new Date(clock.now() - 3_600_000).toISOString(),
        },
      });
      observationId = await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patientId}` },
        effectiveDateTime: '2026-03-01T08:30:00+08:00',
        valueQuantity: { value: 72, unit: '/min' },
      });
      hivId = await create({
        resourceType: 'Condition',
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'B20' }] },
        subject: { reference: `Patient/${patientId}` },
      });
    });
    after(() => ts?.dispose());

    test('no purpose: 403 saying how to declare one; an unknown purpose: 400 listing the codes', async () => {
      const none = await loginAs(ts, 'dr-li', ['clinician'], 'Policy Hospital', { purpose: null });
      const refused = await call(none, 'GET', `/fhir/Observation/${observationId}`);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.match(refused.body, /purpose of use/);
      assert.match(refused.body, /使用目的/);
      assert.equal(reasonOf(refused), 'purpose-required');
      // The same refusal outside /fhir: problem+json with the code as its `reason` member.
      const lookup = await ts.app.inject({
        method: 'POST',
        url: '/patient-index/lookup',
        headers: { authorization: `Bearer ${none}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ kind: 'resident-id', value: '11010519491231002X' }),
      });
      assert.equal(lookup.statusCode, 403, lookup.body);
      assert.match(lookup.headers['content-type'] as string, /application\/problem\+json/);
      assert.equal((lookup.json() as { reason?: string }).reason, 'purpose-required');
      const unknown = await call(treating, 'GET', `/fhir/Observation/${observationId}`, undefined, 'SNOOP');
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.body, /TREAT/);
    });

    test('the clinician the Encounter names treats the patient; a colleague without one is refused', async () => {
      const own = await call(treating, 'GET', `/fhir/Observation/${observationId}`);
      assert.equal(own.statusCode, 200, own.body);
      const other = await call(colleague, 'GET', `/fhir/Observation/${observationId}`);
      assert.equal(other.statusCode, 403);
      assert.match(other.body, /care relationship/);
      assert.match(other.body, /诊疗关系/);
      assert.equal(reasonOf(other), 'no-care-relationship');
      // A batch entry refused carries the code too.
      const batch = await call(colleague, 'POST', '/fhir', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: `Observation/${observationId}` } }],
      });
      assert.equal(batch.statusCode, 200, batch.body);
      const [entry] = (batch.json() as { entry: { response: { status: string; outcome?: Outcome } }[] })
        .entry;
      assert.match(entry!.response.status, /^403/);
      assert.deepEqual(entry!.response.outcome?.issue[0]?.details?.coding, [
        { system: DENIAL_REASONS, code: 'no-care-relationship' },
      ]);
      const search = await call(colleague, 'GET', `/fhir/Observation?patient=${patientId}`);
      assert.equal(search.statusCode, 200);
      assert.equal(
        ((search.json() as { entry?: unknown[] }).entry ?? []).length,
        0,
        'withheld from a search',
      );
      const denials = await ts.system.ledger.query({
        patient: ts.system.guard.patientToken(patientId)!,
        kind: 'access-decision',
        limit: 50,
      });
      assert.ok(denials.entries.some((e) => e.entry.reason === 'no-care-relationship'));
    });

    test('payment: identifiers masked, special categories left out', async () => {
      const patient = await call(steward, 'GET', `/fhir/Patient/${patientId}`);
      assert.equal(patient.statusCode, 200, patient.body);
      const body = patient.body;
      assert.ok(!body.includes('三丰'), 'the given name is masked');
      assert.ok(!body.includes('11010519491231002X'), 'the resident ID is masked');
      assert.ok(!body.includes('13812345678'), 'the phone is masked');
      assert.match(body, /张/);
      const hiv = await call(steward, 'GET', `/fhir/Condition/${hivId}`);
      assert.equal(hiv.statusCode, 403, 'an HIV diagnosis is redacted for payment');
      assert.equal(reasonOf(hiv), 'purpose-not-allowed-for-grade', 'grade 1 (HIV) is not for payment');
      const conditions = await call(steward, 'GET', `/fhir/Condition?patient=${patientId}`);
      assert.equal(((conditions.json() as { entry?: unknown[] }).entry ?? []).length, 0);
      const forTreatment = await call(treating, 'GET', `/fhir/Condition/${hivId}`);
      assert.equal(forTreatment.statusCode, 200, 'the treating clinician sees it');
    });

    test('payment searches: Patients masked; an Observation holding nothing a mask reaches, as stored', async () => {
      const patients = await call(steward, 'GET', `/fhir/Patient?_id=${patientId}`);
      assert.equal(patients.statusCode, 200, patients.body);
      assert.equal(((patients.json() as { entry?: unknown[] }).entry ?? []).length, 1);
      assert.ok(!patients.body.includes('三丰'), 'the given name is masked in a search too');
      assert.ok(!patients.body.includes('11010519491231002X'), 'the resident ID is masked in a search too');
      const resourcesOf = (res: { json: () => unknown }) =>
        ((res.json() as { entry?: { resource: Json }[] }).entry ?? []).map((e) => e.resource);
      const paid = await call(steward, 'GET', `/fhir/Observation?patient=${patientId}`);
      const treated = await call(treating, 'GET', `/fhir/Observation?patient=${patientId}`);
      assert.equal(paid.statusCode, 200, paid.body);
      assert.equal(resourcesOf(paid).length, 1);
      assert.deepEqual(resourcesOf(paid), resourcesOf(treated));
    });

    test('a use permitted on de-identified data only is refused on identified records', async () => {
      const regulator = await loginAs(ts, 'cdc', ['regulator'], 'Policy Regulator', { purpose: 'PUBHLTH' });
      const res = await call(regulator, 'GET', `/fhir/Observation?patient=${patientId}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(((res.json() as { entry?: unknown[] }).entry ?? []).length, 0);
      assert.equal(
        reasonOf(await call(regulator, 'GET', `/fhir/Patient/${patientId}/$everything`)),
        'deidentification-required',
      );
      const entries = await ts.system.ledger.query({
        patient: ts.system.guard.patientToken(patientId)!,
        kind: 'access-decision',
        limit: 100,
      });
      assert.ok(entries.entries.some((e) => e.entry.reason === 'deidentification-required'));
    });

    test('the care relationship lapses 90 days after the encounter: then the clinician is refused too', async () => {
      clock.advance(88 * DAY_MS);
      const stillCaring = await loginAs(ts, 'dr-li', ['clinician'], 'Policy Hospital');
      assert.equal((await call(stillCaring, 'GET', `/fhir/Observation/${observationId}`)).statusCode, 200);
      clock.advance(2 * DAY_MS);
      const lapsed = await loginAs(ts, 'dr-li', ['clinician'], 'Policy Hospital');
      const refused = await call(lapsed, 'GET', `/fhir/Observation/${observationId}`);
      assert.equal(reasonOf(refused), 'no-care-relationship');
      assert.match(refused.body, /break-glass/);
    });
  });
}
