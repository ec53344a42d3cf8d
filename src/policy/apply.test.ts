import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject } from '../deid/index.js';
import { applyObligations, obligationsChange, RESIDENT_ID_SYSTEM } from './apply.js';
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

  it('leaves resources no mask reaches as they are, uncopied; people and Bundles are still masked', () => {
    const observation: JsonObject = {
      resourceType: 'Observation',
      id: 'o1',
      subject: { reference: 'Patient/p1', display: '张三丰' },
    };
    const nurse: Obligation = { kind: 'mask', fields: ['resident-id'] };
    assert.equal(obligationsChange([MASK_ALL, AUDIT], 'Observation'), false);
    assert.equal(applyObligations(observation, [MASK_ALL, AUDIT]), observation);
    for (const type of ['Patient', 'RelatedPerson', 'Person', 'Bundle'])
      assert.equal(obligationsChange([nurse], type), true, type);
    assert.equal(obligationsChange([AUDIT], 'Patient'), false);
    // A redaction depends on the labels in the body, whatever the type.
    assert.equal(obligationsChange([{ kind: 'redact', labels: ['HIV'] }], 'Observation'), true);
    const bundle: JsonObject = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: patient() }],
    };
    const masked = applyObligations(bundle, [nurse])!;
    const entry = (masked.entry as JsonObject[])[0]!.resource as JsonObject;
    assert.equal((entry.identifier as JsonObject[])[0]!.value, '110101********1234');
    assert.notEqual(masked, bundle, 'a masked Bundle is a copy');
  });
});
