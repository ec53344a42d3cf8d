import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../deid/index.js';
import { applyObligations, obligationsChange, RESIDENT_ID_SYSTEM, US_SSN_SYSTEM } from './apply.js';
import type { Obligation } from './model.js';

const patient = (): JsonObject => ({
  resourceType: 'Patient',
  id: 'p1',
  identifier: [
    { system: RESIDENT_ID_SYSTEM, value: '110101199003071234' },
    { system: 'urn:oid:2.16.156.10011.1.15', value: 'YB-88' },
  ],
  name: [{ family: '张', given: ['三丰'], text: '张三丰' }],
  telecom: [
    { system: 'phone', value: '13812345678' },
    { system: 'email', value: 'zhang@example.cn' },
  ],
  address: [{ text: '北京市朝阳区建国路88号', city: '北京市', district: '朝阳区', line: ['建国路88号'] }],
  gender: 'male',
});

const MASK_ALL: Obligation = { kind: 'mask', fields: ['name', 'resident-id', 'phone', 'address'] };
const AUDIT: Obligation = { kind: 'audit', level: 'standard', flags: [] };

describe('policy: applying obligations to FHIR JSON', () => {
  it('masks name, resident ID, phone and address with the national conventions', () => {
    const input = patient();
    const out = applyObligations(input, [MASK_ALL, AUDIT])!;
    const name = (out.name as JsonObject[])[0]!;
    assert.equal(name.text, '张**');
    assert.equal(name.family, '张');
    const ids = out.identifier as JsonObject[];
    assert.equal(ids[0]!.value, '110101********1234');
    assert.equal(ids[1]!.value, 'YB-88', 'other identifiers are left to the de-identification profile');
    const telecom = out.telecom as JsonObject[];
    assert.equal(telecom[0]!.value, '138****5678');
    assert.equal(telecom[1]!.value, 'zhang@example.cn');
    const address = (out.address as JsonObject[])[0]!;
    assert.equal(address.text, '北京市朝阳区');
    assert.equal(address.line, undefined);
    assert.equal(out.gender, 'male');
    assert.deepEqual(input, patient(), 'the input is not changed');
  });

  it('masks only the fields named (a nurse sees the name, not the resident ID)', () => {
    const out = applyObligations(patient(), [{ kind: 'mask', fields: ['resident-id'] }])!;
    assert.equal((out.name as JsonObject[])[0]!.text, '张三丰');
    assert.equal((out.identifier as JsonObject[])[0]!.value, '110101********1234');
  });

  it('returns the resource itself when nothing is to change', () => {
    const input = patient();
    assert.equal(applyObligations(input, [AUDIT, { kind: 'require-purpose', purpose: 'treatment' }]), input);
  });

  it('leaves out resources carrying a redacted label, in a Bundle too', () => {
    const hiv: JsonObject = {
      resourceType: 'Observation',
      id: 'o1',
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] },
    };
    const plain: JsonObject = { resourceType: 'Observation', id: 'o2', meta: { security: [{ code: 'N' }] } };
    const redact: Obligation = { kind: 'redact', labels: ['HIV', 'PSY'] };
    assert.equal(applyObligations(hiv, [redact]), undefined);
    assert.deepEqual(applyObligations(plain, [redact]), plain);
    const bundle: JsonObject = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: hiv }, { resource: plain }, { resource: patient() }],
    };
    const out = applyObligations(bundle, [redact, MASK_ALL])!;
    const entries = out.entry as JsonObject[];
    assert.deepEqual(
      entries.map((e) => (e.resource as JsonObject).id),
      ['o2', 'p1'],
    );
    assert.equal((((entries[1]!.resource as JsonObject).name as JsonObject[])[0] as JsonObject).text, '张**');
  });

  it('masks the display of References to people, or to targets whose type cannot be told', () => {
    const encounter: JsonObject = {
      resourceType: 'Encounter',
      id: 'e1',
      subject: { reference: 'Patient/p1', display: '张三丰' },
      participant: [{ individual: { reference: 'Practitioner/d1', display: '李医生' } }],
      serviceProvider: { reference: 'Organization/o1', display: '北京协和医院' },
      extension: [
        {
          url: 'https://example.org/escort',
          valueReference: { reference: 'urn:uuid:9f0c', display: 'Mr. John Doe' },
        },
        { url: 'https://example.org/kin', valueReference: { type: 'RelatedPerson', display: '王小明' } },
        {
          url: 'https://example.org/source',
          valueReference: {
            reference: 'https://hub.example.cn/fhir/Person/x/_history/2',
            display: '欧阳娜娜',
          },
        },
      ],
      account: [{ display: '李四' }],
      type: [
        {
          coding: [
            { system: 'http://snomed.info/sct', code: '185349003', display: 'Encounter for check up' },
          ],
        },
      ],
    };
    const input = structuredClone(encounter);
    const out = applyObligations(encounter, [{ kind: 'mask', fields: ['name'] }])!;
    assert.deepEqual(out.subject, { reference: 'Patient/p1', display: '张**' });
    const participant = (out.participant as JsonObject[])[0]!.individual as JsonObject;
    assert.equal(participant.display, '李医生', 'a practitioner is not the data subject');
    assert.equal((out.serviceProvider as JsonObject).display, '北京协和医院');
    const refs = (out.extension as JsonObject[]).map((e) => (e.valueReference as JsonObject).display);
    assert.deepEqual(refs, ['M*** J*** D***', '王**', '欧阳**'], 'urn:uuid, a stated type, an absolute URL');
    assert.equal(
      (out.account as JsonObject[])[0]!.display,
      '李*',
      'a display-only reference may name anyone',
    );
    const coding = ((out.type as JsonObject[])[0]!.coding as JsonObject[])[0]!;
    assert.equal(coding.display, 'Encounter for check up', 'a Coding is not a Reference');
    assert.deepEqual(encounter, input, 'the input is not changed');
    assert.equal(out.participant, encounter.participant, 'what no mask reaches is shared, not copied');
  });

  it('masks resident IDs in References and anywhere else, only when the resident ID is masked', () => {
    const claim: JsonObject = {
      resourceType: 'Claim',
      id: 'c1',
      patient: {
        identifier: { system: RESIDENT_ID_SYSTEM, value: '110101199003071234' },
        display: '张三丰',
      },
      insurance: [{ coverage: { identifier: { system: 'urn:oid:2.16.156.10011.1.15', value: 'YB-88' } } }],
    };
    const nurse = applyObligations(claim, [{ kind: 'mask', fields: ['resident-id'] }])!;
    const patientRef = nurse.patient as JsonObject;
    assert.equal((patientRef.identifier as JsonObject).value, '110101********1234');
    assert.equal(patientRef.display, '张三丰', 'names are not masked for nurses');
    assert.equal(
      nurse.insurance,
      claim.insurance,
      'other identifiers are left to de-identification profiles',
    );
    const all = applyObligations(claim, [MASK_ALL])!;
    assert.equal((all.patient as JsonObject).display, '张**');
  });

  it('masks contained people like top-level ones, and References to them by #id', () => {
    const observation: JsonObject = {
      resourceType: 'Observation',
      id: 'o1',
      contained: [
        { ...patient(), id: 'mother' },
        { resourceType: 'Practitioner', id: 'midwife', name: [{ text: '赵护士' }] },
      ],
      subject: { reference: 'Patient/p2', display: '张小宝' },
      focus: [{ reference: '#mother', display: '张三丰' }],
      performer: [{ reference: '#midwife', display: '赵护士' }],
    };
    const out = applyObligations(observation, [MASK_ALL])!;
    const [mother, midwife] = out.contained as JsonObject[];
    assert.equal((mother!.name as JsonObject[])[0]!.text, '张**');
    assert.equal((mother!.identifier as JsonObject[])[0]!.value, '110101********1234');
    assert.equal((mother!.telecom as JsonObject[])[0]!.value, '138****5678');
    assert.equal((mother!.address as JsonObject[])[0]!.text, '北京市朝阳区');
    assert.equal(
      midwife,
      (observation.contained as JsonObject[])[1],
      'a contained practitioner is left as it is',
    );
    assert.equal((out.focus as JsonObject[])[0]!.display, '张**');
    assert.equal((out.performer as JsonObject[])[0]!.display, '赵护士');
    assert.equal((out.subject as JsonObject).display, '张**');
    // Contained resources point at their siblings: resolved in the container.
    const claim: JsonObject = {
      resourceType: 'Claim',
      contained: [
        { resourceType: 'Coverage', id: 'cov', beneficiary: { reference: '#kin', display: '王五' } },
        { resourceType: 'RelatedPerson', id: 'kin', name: [{ family: '王', given: ['五'] }] },
      ],
    };
    const [coverage, kin] = applyObligations(claim, [{ kind: 'mask', fields: ['name'] }])!
      .contained as JsonObject[];
    assert.equal((coverage!.beneficiary as JsonObject).display, '王*');
    assert.equal((kin!.name as JsonObject[])[0]!.text, '王*');
  });

  it('masks people and References in every entry of a Bundle (a searchset)', () => {
    const bundle: JsonObject = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: patient() },
        {
          resource: {
            resourceType: 'Observation',
            id: 'o1',
            subject: { reference: 'Patient/p1', display: '张三丰' },
          },
        },
      ],
    };
    const nurse: Obligation = { kind: 'mask', fields: ['resident-id'] };
    const masked = applyObligations(bundle, [nurse])!;
    const entry = (masked.entry as JsonObject[])[0]!.resource as JsonObject;
    assert.equal((entry.identifier as JsonObject[])[0]!.value, '110101********1234');
    assert.notEqual(masked, bundle, 'a masked Bundle is a copy');
    const named = applyObligations(bundle, [MASK_ALL])!;
    const observation = (named.entry as JsonObject[])[1]!.resource as JsonObject;
    assert.equal((observation.subject as JsonObject).display, '张**');
  });

  it('tells from the stored text, unparsed, which resources no mask can reach', () => {
    const nurse: Obligation = { kind: 'mask', fields: ['resident-id'] };
    const reaches = (obligations: Obligation[], resource: JsonObject) =>
      obligationsChange(obligations, String(resource.resourceType), JSON.stringify(resource));
    const plain: JsonObject = {
      resourceType: 'Observation',
      id: 'o1',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/p1' },
    };
    const named: JsonObject = { ...plain, subject: { reference: 'Patient/p1', display: '张三丰' } };
    const coded: JsonObject = { ...plain, code: { coding: [{ code: '8867-4', display: 'Heart rate' }] } };
    const withId: JsonObject = {
      ...plain,
      subject: { identifier: { system: RESIDENT_ID_SYSTEM, value: 'x' } },
    };
    const holding: JsonObject = { ...plain, contained: [{ resourceType: 'Patient', id: 'p' }] };
    assert.equal(reaches([MASK_ALL, AUDIT], plain), false);
    assert.equal(reaches([nurse], named), false, 'a nurse sees names');
    assert.equal(reaches([MASK_ALL], named), true);
    assert.equal(reaches([MASK_ALL], coded), true, 'a display, maybe a Reference’s: parsed to tell');
    assert.equal(reaches([nurse], withId), true);
    assert.equal(reaches([{ kind: 'mask', fields: ['phone'] }], holding), true, 'a contained person');
    for (const type of ['Patient', 'RelatedPerson', 'Person'])
      assert.equal(obligationsChange([nurse], type, '{}'), true, type);
    assert.equal(reaches([nurse], { resourceType: 'Bundle', entry: [{ resource: plain }] }), true);
    assert.equal(obligationsChange([AUDIT], 'Patient', '{}'), false);
    // A redaction depends on the labels in the body, whatever the type.
    assert.equal(obligationsChange([{ kind: 'redact', labels: ['HIV'] }], 'Observation', '{}'), true);
    // Whatever it says cannot change, does not: applying the masks gives the resource itself.
    const masks: Obligation[][] = [[MASK_ALL], [nurse], [{ kind: 'mask', fields: ['phone', 'address'] }]];
    let unparsed = 0;
    for (const r of [plain, named, coded, withId, holding])
      for (const o of masks)
        if (!reaches(o, r)) {
          assert.equal(applyObligations(r, o), r);
          unparsed++;
        }
    assert.equal(unparsed, 8);
  });

  it('leaves out the narrative of every resource under any mask, and only then', () => {
    const narrative = {
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">张三丰, 13812345678</div>',
    };
    const withText: JsonObject = { ...patient(), text: narrative };
    const observation: JsonObject = {
      resourceType: 'Observation',
      id: 'o1',
      text: narrative,
      subject: { reference: 'Patient/p1' },
      contained: [{ resourceType: 'Patient', id: 'c', text: narrative }],
    };
    const bundle: JsonObject = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: observation }],
    };
    const phone: Obligation = { kind: 'mask', fields: ['phone'] };
    for (const masks of [[MASK_ALL], [phone]]) {
      const person = applyObligations(withText, masks)!;
      assert.equal(person.text, undefined, 'a person’s narrative');
      assert.equal(person.gender, 'male');
      const out = applyObligations(bundle, masks)!;
      const entry = (out.entry as JsonObject[])[0]!.resource as JsonObject;
      assert.equal(entry.text, undefined, 'any resource’s narrative, in a Bundle too');
      assert.equal((entry.contained as JsonObject[])[0]!.text, undefined, 'a contained one’s');
      assert.deepEqual(entry.subject, { reference: 'Patient/p1' });
      // The unparsed fast path must not let a narrative through.
      assert.equal(
        obligationsChange(masks, 'Observation', JSON.stringify({ ...observation, contained: [] })),
        true,
      );
    }
    assert.deepEqual(observation.text, narrative, 'the input is not changed');
    assert.equal(applyObligations(observation, [AUDIT]), observation, 'no mask, the narrative stays');
    assert.equal(applyObligations(observation, [{ kind: 'redact', labels: ['HIV'] }]), observation);
  });

  it('masks clinical free text: notes, conclusions, text documents; leaves out other content', () => {
    const note = '姓名：张三丰　身份证号：110114198003225041　电话：13812345678\n患者张三丰因胸痛就诊。';
    const report: JsonObject = {
      resourceType: 'DiagnosticReport',
      id: 'r1',
      conclusion: '患者张三丰，冠脉造影未见狭窄。',
      presentedForm: [
        { contentType: 'text/plain; charset=utf-8', data: Buffer.from(note).toString('base64') },
        { contentType: 'application/pdf', data: 'JVBERi0xLjQ=' },
      ],
      note: [{ authorString: '李四', text: '已电话告知患者张三丰，号码 13812345678。' }],
    };
    const out = applyObligations(report, [MASK_ALL])!;
    const [text, pdf] = out.presentedForm as JsonObject[];
    const decoded = Buffer.from(text!.data as string, 'base64').toString('utf8');
    assert.equal(
      decoded,
      '姓名：张**　身份证号：110114********5041　电话：138****5678\n患者张**因胸痛就诊。',
    );
    assert.equal(pdf!.data, undefined, 'a PDF cannot be masked: left out');
    assert.equal(out.conclusion, '患者张**，冠脉造影未见狭窄。');
    assert.deepEqual(out.note, [{ authorString: '李*', text: '已电话告知患者张**，号码 138****5678。' }]);
    const nurse = applyObligations(report, [{ kind: 'mask', fields: ['resident-id'] }])!;
    assert.equal(nurse.conclusion, report.conclusion, 'a nurse reads names');
    assert.ok(
      !Buffer.from((nurse.presentedForm as JsonObject[])[0]!.data as string, 'base64')
        .toString()
        .includes('19800322'),
    );
    assert.equal(applyObligations(report, [AUDIT]), report, 'no mask, no change');
    const waveform: JsonObject = {
      resourceType: 'Observation',
      valueSampledData: { origin: { value: 0 }, period: 10, dimensions: 1, data: '1 2 3' },
    };
    assert.equal(applyObligations(waveform, [MASK_ALL]), waveform, 'sampled data is no document');
    // The unparsed fast path must not let free text through.
    assert.equal(obligationsChange([MASK_ALL], 'DiagnosticReport', JSON.stringify(report)), true);
    const documentReference = {
      resourceType: 'DocumentReference',
      content: [{ attachment: { data: 'AA==' } }],
    };
    assert.equal(obligationsChange([MASK_ALL], 'DocumentReference', JSON.stringify(documentReference)), true);
  });

  it('masks in free text the names the structured elements give people, found or not by the detector', () => {
    const note = (text: string) => ({
      contentType: 'text/plain',
      data: Buffer.from(text).toString('base64'),
    });
    const decoded = (r: JsonObject) =>
      Buffer.from(
        ((r.content as JsonObject[])[0]!.attachment as JsonObject).data as string,
        'base64',
      ).toString();
    const zh: JsonObject = {
      resourceType: 'DocumentReference',
      subject: { reference: 'Patient/p1', display: '张三丰' },
      author: [{ reference: 'Practitioner/d1', display: '李医生' }],
      content: [{ attachment: note('张三丰门诊复查。三丰自述胸痛缓解，李医生建议继续服药。') }],
    };
    assert.equal(
      decoded(applyObligations(zh, [MASK_ALL])!),
      '张**门诊复查。**自述胸痛缓解，李医生建议继续服药。',
      'the patient, whole and by given name; not the practitioner',
    );
    const en: JsonObject = {
      resourceType: 'DocumentReference',
      subject: { reference: 'urn:uuid:1', display: 'Mr. John Doe' },
      content: [{ attachment: note('John Doe came back today. Doe feels better.') }],
    };
    assert.equal(decoded(applyObligations(en, [MASK_ALL])!), 'J*** D*** came back today. *** feels better.');
    const contained: JsonObject = {
      resourceType: 'Observation',
      contained: [{ resourceType: 'Patient', id: 'm', name: [{ family: '王', given: ['秀英'] }] }],
      note: [{ text: '王秀英陪同就诊。' }],
    };
    assert.deepEqual(applyObligations(contained, [MASK_ALL])!.note, [{ text: '王**陪同就诊。' }]);
    const nurse = applyObligations(zh, [{ kind: 'mask', fields: ['resident-id'] }])!;
    assert.equal(decoded(nurse), decoded(zh), 'no name mask, names stay');
  });

  it("masks a US patient's social security number as the resident ID, structured and unparsed", () => {
    const us: JsonObject = {
      resourceType: 'Observation',
      subject: { identifier: { system: US_SSN_SYSTEM, value: '999-12-3456' } },
      contained: [
        { resourceType: 'Patient', id: 'p', identifier: [{ system: US_SSN_SYSTEM, value: '999-12-3456' }] },
      ],
    };
    const out = applyObligations(us, [{ kind: 'mask', fields: ['resident-id'] }])!;
    assert.ok(!JSON.stringify(out).includes('999-12-3456'), JSON.stringify(out));
    assert.equal(
      obligationsChange(
        [{ kind: 'mask', fields: ['resident-id'] }],
        'Observation',
        JSON.stringify({ ...us, contained: [] }),
      ),
      true,
    );
    assert.deepEqual(
      applyObligations(us, [{ kind: 'mask', fields: ['phone'] }]),
      us,
      'only under the resident-ID mask',
    );
  });
});
