import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustodiaError } from '../../core/index.js';
import { SYNTHEA_MISSING, syntheaAvailable, syntheaBundles } from '../testing.js';
import { issuesOf } from './issues.js';
import { FhirValidator } from './validator.js';

const validator = new FhirValidator();

const expressions = (value: unknown, options = {}) => {
  const result = validator.validate(value, options);
  assert.equal(result.valid, false, 'expected the resource to be invalid');
  return result.valid ? [] : result.issues.map((i) => `${i.code} ${i.expression}`);
};

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] },
  subject: { reference: 'Patient/p1' },
  effectiveDateTime: '2024-03-05T10:00:00+08:00',
  valueQuantity: { value: 170, unit: 'cm' },
};

describe('FhirValidator', () => {
  it('accepts a valid resource and returns it typed', () => {
    const result = validator.validate(observation, { expectedType: 'Observation' });
    assert.equal(result.valid, true);
  });

  it('names the exact path of each problem', () => {
    const patient = {
      resourceType: 'Patient',
      id: 'p1',
      name: [{ family: '张', given: ['三', 7] }],
      gender: 'man',
      birthDate: '1990-13-01',
      telecom: [{ system: 'phone', value: '13800138000', colour: 'red' }],
    };
    assert.deepEqual(expressions(patient).sort(), [
      'code-invalid Patient.gender',
      'structure Patient.name[0].given[1]',
      'structure Patient.telecom[0].colour',
      'value Patient.birthDate',
    ]);
  });

  it('rejects dates the pattern allows but the calendar does not', () => {
    assert.deepEqual(expressions({ resourceType: 'Patient', birthDate: '2023-02-29' }), [
      'value Patient.birthDate',
    ]);
    assert.equal(validator.validate({ resourceType: 'Patient', birthDate: '2024-02-29' }).valid, true);
    assert.deepEqual(expressions({ ...observation, effectiveDateTime: '2024-04-31T10:00:00Z' }), [
      'value Observation.effectiveDateTime',
    ]);
  });

  it('rejects dateTimes with a time but no zone, and malformed instants', () => {
    assert.deepEqual(expressions({ ...observation, effectiveDateTime: '2024-03-05T10:00:00' }), [
      'value Observation.effectiveDateTime',
    ]);
    assert.deepEqual(expressions({ ...observation, issued: '2024-03-05' }), ['value Observation.issued']);
  });

  it('checks reference formats', () => {
    for (const good of [
      'Patient/p1',
      'Patient/p1/_history/2',
      'urn:uuid:7b0e7a4e-2b8c-4b1a-9a43-0d9f1d8b1c11',
      '#med1',
      'https://hospital.example/fhir/Patient/9',
      'Patient?identifier=x|1',
    ]) {
      assert.equal(validator.validate({ ...observation, subject: { reference: good } }).valid, true, good);
    }
    for (const bad of ['patient/p1', 'Patient/', 'Patient/a b', 'Unicorn/1', 'urn:uuid:nope', 'just-text']) {
      assert.deepEqual(
        expressions({ ...observation, subject: { reference: bad } }),
        ['value Observation.subject.reference'],
        bad,
      );
    }
  });

  it('checks the id format', () => {
    assert.deepEqual(expressions({ resourceType: 'Patient', id: 'has space' }), ['value Patient.id']);
    assert.deepEqual(expressions({ resourceType: 'Patient', id: 'x'.repeat(65) }), ['value Patient.id']);
  });

  it('requires the primitives and choices the JSON schema cannot require', () => {
    const { status: _s, ...noStatus } = observation;
    assert.deepEqual(expressions(noStatus), ['required Observation.status']);
    assert.equal(
      validator.validate({
        ...noStatus,
        _status: { extension: [{ url: 'http://x.org/e', valueString: 'y' }] },
      }).valid,
      true,
    );
    const request = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
    };
    assert.deepEqual(expressions(request), ['required MedicationRequest.medication[x]']);
    assert.equal(
      validator.validate({ ...request, medicationCodeableConcept: { text: 'aspirin' } }).valid,
      true,
    );
  });

  it('refuses a body whose type differs from the URL', () => {
    assert.deepEqual(expressions(observation, { expectedType: 'Patient' }), ['invalid Patient.resourceType']);
  });

  it('refuses a body whose id differs from the URL on update', () => {
    assert.deepEqual(expressions({ ...observation, id: 'a' }, { expectedId: 'b' }), [
      'invalid Observation.id',
    ]);
    assert.equal(validator.validate({ ...observation, id: 'b' }, { expectedId: 'b' }).valid, true);
  });

  it('refuses unknown and unsupported types, listing the supported ones', () => {
    for (const type of ['Basic', 'Unicorn']) {
      const result = validator.validate({ resourceType: type });
      assert.equal(result.valid, false);
      if (result.valid) continue;
      assert.equal(result.issues[0]!.code, 'not-supported');
      assert.match(result.issues[0]!.message, /supported types: Patient, Practitioner/);
      assert.match(result.issues[0]!.zh, /支持的类型/);
    }
  });

  it('refuses non-objects and a missing resourceType', () => {
    assert.deepEqual(expressions([1, 2]), ['structure Resource']);
    assert.deepEqual(expressions({ id: 'x' }), ['required Resource.resourceType']);
  });

  it('validates Bundle entries and contained resources by their own types', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:7b0e7a4e-2b8c-4b1a-9a43-0d9f1d8b1c11',
          resource: { resourceType: 'Patient', gender: 'f' },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: { ...observation, contained: [{ resourceType: 'Medication', id: 'm1', colour: 'red' }] },
          request: { method: 'POST', url: 'Observation' },
        },
        { resource: { resourceType: 'Basic', code: {} }, request: { method: 'POST', url: 'Basic' } },
        { resource: observation, request: { method: 'FETCH', url: 'Observation' } },
      ],
    };
    assert.deepEqual(expressions(bundle).sort(), [
      'code-invalid Bundle.entry[0].resource.gender',
      'code-invalid Bundle.entry[3].request.method',
      'not-supported Bundle.entry[2].resource.resourceType',
      'structure Bundle.entry[1].resource.contained[0].colour',
    ]);
  });

  it('enforces dom-2: contained resources contain nothing', () => {
    const nested = {
      ...observation,
      contained: [
        { resourceType: 'Medication', id: 'm1', contained: [{ resourceType: 'Substance', code: {} }] },
      ],
    };
    assert.ok(expressions(nested).includes('invariant Observation.contained[0].contained'));
  });

  it('caps the number of issues it lists', () => {
    const small = new FhirValidator({ maxIssues: 3 });
    const result = small.validate({ resourceType: 'Patient', a: 1, b: 2, c: 3, d: 4, e: 5 });
    assert.equal(result.valid, false);
    if (!result.valid) {
      assert.equal(result.issues.length, 4);
      assert.equal(result.issues[3]!.severity, 'information');
    }
  });

  it('throws a 400 CustodiaError carrying every issue', () => {
    try {
      validator.assertValid({ resourceType: 'Patient', gender: 'x', foo: 1 });
      assert.fail('expected a throw');
    } catch (e) {
      assert.ok(isCustodiaError(e));
      assert.equal(e.status, 400);
      assert.equal(issuesOf(e)?.length, 2);
      assert.ok(e.zh);
      assert.ok(e.path?.startsWith('Patient.'));
    }
  });

  it('never quotes the submitted value in messages', () => {
    const result = validator.validate({
      resourceType: 'Patient',
      gender: '110101199003077777',
      name: [{ family: 42 }],
    });
    assert.equal(result.valid, false);
    if (!result.valid)
      for (const i of result.issues) assert.ok(!`${i.message}${i.zh}`.includes('110101199003077777'));
  });
});

describe(
  'FhirValidator on the Synthea fixtures',
  { skip: syntheaAvailable() ? false : SYNTHEA_MISSING },
  () => {
    it('accepts every Synthea bundle and every resource in it', () => {
      const bundles = syntheaBundles();
      assert.ok(bundles.length >= 17);
      let resources = 0;
      for (const { file, bundle } of bundles) {
        const result = validator.validate(bundle, { expectedType: 'Bundle' });
        assert.equal(
          result.valid,
          true,
          `${file}: ${result.valid ? '' : JSON.stringify(result.issues.slice(0, 3))}`,
        );
        for (const entry of bundle.entry ?? []) {
          const r = validator.validate(entry.resource, { expectedType: entry.resource?.resourceType });
          assert.equal(r.valid, true);
          resources++;
        }
      }
      assert.ok(resources > 3000);
    });

    it('finds a fault planted in a Synthea bundle at its exact path', () => {
      const { bundle } = syntheaBundles().find((b) =>
        b.bundle.entry?.some((e) => e.resource?.resourceType === 'Observation'),
      )!;
      const copy = structuredClone(bundle);
      const index = copy.entry!.findIndex((e) => e.resource?.resourceType === 'Observation');
      (copy.entry![index]!.resource as Record<string, unknown>)['effectiveDateTime'] = '2019-02-30T10:00:00Z';
      assert.deepEqual(expressions(copy), [`value Bundle.entry[${index}].resource.effectiveDateTime`]);
    });
  },
);
