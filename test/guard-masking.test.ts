/**
 * Masks reach every place a person's identity travels, not only Patient resources: read through
 * guard over HTTP, a payer (payment purpose: names, resident IDs, phones and addresses masked by
 * `mask-identifiers-outside-care`) sees the display of a Reference naming the patient masked, and
 * a contained Patient masked, in reads, searches, history and `$everything` alike; a nurse
 * (`mask-resident-id-for-nurses`) sees names but not a resident ID carried in a Reference; a
 * clinician treating the patient, under no mask, sees everything as stored. A clinical note is
 * masked in its text as the structured elements are, and content that cannot be read as text
 * (a PDF) is left out under a mask.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDialects } from '../src/store/testing.js';
import { loginAs, startTestSystem, type TestSystem } from './helpers/system.js';

const FHIR = 'application/fhir+json';
const RESIDENT_ID_SYSTEM = 'urn:oid:2.16.156.10011.1.3';
const RESIDENT_ID = '11010519491231002X';
const MOTHER_ID = '110105196001010028';

/** A clinical note that restates who the patient is, as notes do. */
const NOTE = `姓名：张三丰\u3000身份证号：${RESIDENT_ID}\u3000联系电话：13812345678\n住址：北京市朝阳区建国路88号\n现病史：患者张三丰因胸痛就诊。`;
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

type Json = Record<string, unknown>;
type Attachment = { contentType?: string; data?: string; title?: string; _data?: unknown };
type Reference = { reference?: string; display?: string; identifier?: { value?: string } };

for (const { dialect, skip } of testDialects()) {
  describe(`guard masks identities wherever they travel (${dialect})`, { skip }, () => {
    let ts: TestSystem;
    let writer: string;
    let clinician: string;
    let nurse: string;
    let payer: string;
    let patientId: string;
    let encounterId: string;
    let observationId: string;
    let documentId: string;

    const get = (token: string, url: string) =>
      ts.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const read = async (token: string, url: string): Promise<Json> => {
      const res = await get(token, url);
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as Json;
    };
    const entriesOf = (bundle: Json) => ((bundle.entry ?? []) as { resource: Json }[]).map((e) => e.resource);
    const create = async (resource: Json & { resourceType: string }) => {
      const res = await ts.app.inject({
        method: 'POST',
        url: `/fhir/${resource.resourceType}`,
        headers: { authorization: `Bearer ${writer}`, 'content-type': FHIR },
        payload: JSON.stringify(resource),
      });
      assert.equal(res.statusCode, 201, res.body);
      return (res.json() as { id: string }).id;
    };

    /** What the payer must not see, and what the masks leave of it. */
    const assertMasked = (observation: Json) => {
      const text = JSON.stringify(observation);
      assert.ok(!text.includes('三丰'), `the patient's given name is masked: ${text}`);
      assert.ok(!text.includes('秀英'), `the contained mother's given name is masked: ${text}`);
      assert.ok(!text.includes(MOTHER_ID), 'the resident ID in the Reference is masked');
      assert.ok(!text.includes('13900001111'), "the contained mother's phone is masked");
      assert.ok(!text.includes('建国路'), "the contained mother's street is masked");
      assert.equal((observation.subject as Reference).display, '张**');
      const [mother] = observation.contained as Json[];
      assert.equal((mother!.name as { text?: string }[])[0]!.text, '王**');
      assert.equal((mother!.identifier as { value: string }[])[0]!.value, '110105********0028');
      assert.equal((observation.focus as Reference[])[0]!.display, '王**');
      assert.equal(
        (observation.performer as Reference[])[0]!.display,
        '李医生',
        'practitioners are not masked',
      );
    };

    before(async () => {
      // The open-hospital model: every clinician and nurse of the hospital cares for its patients.
      ts = await startTestSystem(dialect);
      writer = await loginAs(ts, 'his-feed', ['data-steward'], 'Masking Hospital');
      clinician = await loginAs(ts, 'dr-li', ['clinician'], 'Masking Hospital');
      nurse = await loginAs(ts, 'nurse-he', ['nurse'], 'Masking Hospital');
      payer = await loginAs(ts, 'payer-desk', ['data-steward'], 'Masking Hospital', { purpose: 'HPAYMT' });
      const practitioner = await create({ resourceType: 'Practitioner', name: [{ text: '李医生' }] });
      patientId = await create({
        resourceType: 'Patient',
        identifier: [{ system: RESIDENT_ID_SYSTEM, value: RESIDENT_ID }],
        name: [{ family: '张', given: ['三丰'] }],
        birthDate: '1949-12-31',
      });
      encounterId = await create({
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${patientId}`, display: '张三丰' },
        participant: [{ individual: { reference: `Practitioner/${practitioner}`, display: '李医生' } }],
      });
      observationId = await create({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
        subject: { reference: `Patient/${patientId}`, display: '张三丰' },
        encounter: { reference: `Encounter/${encounterId}` },
        // The newborn's mother, as a contained Patient and as a logical reference by resident ID.
        contained: [
          {
            resourceType: 'Patient',
            id: 'mother',
            identifier: [{ system: RESIDENT_ID_SYSTEM, value: MOTHER_ID }],
            name: [{ family: '王', given: ['秀英'] }],
            telecom: [{ system: 'phone', value: '13900001111' }],
            address: [{ text: '北京市朝阳区建国路88号' }],
          },
        ],
        focus: [
          { reference: '#mother', display: '王秀英' },
          { type: 'Patient', identifier: { system: RESIDENT_ID_SYSTEM, value: MOTHER_ID } },
        ],
        performer: [{ reference: `Practitioner/${practitioner}`, display: '李医生' }],
        valueQuantity: { value: 132, unit: '/min' },
      });
      documentId = await create({
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: `Patient/${patientId}`, display: '张三丰' },
        content: [
          {
            attachment: {
              contentType: 'text/plain; charset=utf-8',
              data: base64(NOTE),
              title: '门诊病历（患者张三丰）',
            },
          },
          { attachment: { contentType: 'application/pdf', data: 'JVBERi0xLjQK' } },
        ],
      });
    });
    after(() => ts?.dispose());

    test('a read: the display naming the patient and the contained Patient are masked', async () => {
      assertMasked(await read(payer, `/fhir/Observation/${observationId}`));
      const encounter = await read(payer, `/fhir/Encounter/${encounterId}`);
      assert.deepEqual(encounter.subject, { reference: `Patient/${patientId}`, display: '张**' });
      const participant = (encounter.participant as { individual: Reference }[])[0]!.individual;
      assert.equal(participant.display, '李医生');
      assertMasked(await read(payer, `/fhir/Observation/${observationId}/_history/1`));
    });

    test('a search: each match masked as a read is', async () => {
      const observations = entriesOf(await read(payer, `/fhir/Observation?patient=${patientId}`));
      assert.equal(observations.length, 1);
      assertMasked(observations[0]!);
      const encounters = entriesOf(await read(payer, `/fhir/Encounter?patient=${patientId}`));
      assert.equal(encounters.length, 1);
      assert.equal((encounters[0]!.subject as Reference).display, '张**');
    });

    test('history and $everything: masked as a read is', async () => {
      const history = entriesOf(await read(payer, `/fhir/Observation/${observationId}/_history`));
      assert.equal(history.length, 1);
      assertMasked(history[0]!);
      const everything = await read(payer, `/fhir/Patient/${patientId}/$everything`);
      const found = entriesOf(everything).find((r) => r.id === observationId);
      assert.ok(found, JSON.stringify(everything));
      assertMasked(found);
      assert.ok(!JSON.stringify(everything).includes('三丰'), 'no entry names the patient');
    });

    test('a nurse sees names; the resident ID carried in a Reference is masked', async () => {
      const observation = await read(nurse, `/fhir/Observation/${observationId}`);
      assert.equal((observation.subject as Reference).display, '张三丰');
      const [, logical] = observation.focus as Reference[];
      assert.equal(logical!.identifier?.value, '110105********0028');
      const [mother] = observation.contained as Json[];
      assert.equal((mother!.name as { given?: string[] }[])[0]!.given?.[0], '秀英');
      assert.equal((mother!.identifier as { value: string }[])[0]!.value, '110105********0028');
    });

    test('a clinician treating the patient, under no mask, sees what was stored', async () => {
      const observation = await read(clinician, `/fhir/Observation/${observationId}`);
      assert.equal((observation.subject as Reference).display, '张三丰');
      assert.equal((observation.focus as Reference[])[0]!.display, '王秀英');
      const [mother] = observation.contained as Json[];
      assert.equal((mother!.identifier as { value: string }[])[0]!.value, MOTHER_ID);
      const found = entriesOf(await read(clinician, `/fhir/Observation?patient=${patientId}`));
      assert.equal((found[0]!.subject as Reference).display, '张三丰');
      const encounter = await read(clinician, `/fhir/Encounter/${encounterId}`);
      assert.equal((encounter.subject as Reference).display, '张三丰');
    });

    test('a clinical note: masked in the text of the document, left out where it cannot be read', async () => {
      const attachments = (document: Json) =>
        (document.content as { attachment: Attachment }[]).map((c) => c.attachment);
      const noteOf = (document: Json) =>
        Buffer.from(attachments(document)[0]!.data!, 'base64').toString('utf8');
      for (const document of [
        await read(payer, `/fhir/DocumentReference/${documentId}`),
        entriesOf(await read(payer, `/fhir/DocumentReference?patient=${patientId}`))[0]!,
      ]) {
        assert.equal(
          noteOf(document),
          '姓名：张**　身份证号：110105********002X　联系电话：138****5678\n住址：北京市朝阳区\n现病史：患者张**因胸痛就诊。',
        );
        assert.equal(attachments(document)[0]!.title, '门诊病历（患者张**）');
        const [, pdf] = attachments(document);
        assert.equal(pdf!.data, undefined, 'a PDF cannot be masked: left out');
        assert.ok(pdf!._data, 'and marked as masked');
      }
      const forNurse = noteOf(await read(nurse, `/fhir/DocumentReference/${documentId}`));
      assert.ok(forNurse.includes('张三丰') && !forNurse.includes(RESIDENT_ID), forNurse);
      const forClinician = await read(clinician, `/fhir/DocumentReference/${documentId}`);
      assert.equal(noteOf(forClinician), NOTE);
      assert.equal(attachments(forClinician)[1]!.data, 'JVBERi0xLjQK');
    });
  });
}
