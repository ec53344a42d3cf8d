import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCustodiaError } from '../../core/index.js';
import { extractIndexValues, patientIdsOf } from '../registry.js';
import { SYNTHEA_MISSING, syntheaAvailable, syntheaBundles } from '../testing.js';
import type { FhirResource } from '../types.js';
import { issuesOf } from '../validation/issues.js';
import { bindPlan } from './bind.js';
import { planBundle } from './plan.js';
import { collectReferences } from './references.js';
import { bundleResponse, historyBundle, searchsetBundle, searchsetJson } from './response.js';
import { parseSearch } from '../search/parse.js';

const P = 'urn:uuid:11111111-1111-4111-8111-111111111111';
const E = 'urn:uuid:22222222-2222-4222-8222-222222222222';
let counter = 0;
const newId = () => `id${++counter}`;

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:2.16.156.10011.1.1', value: '11010519491231002X' }],
  name: [{ family: '王', given: ['芳'] }],
};
const encounter = {
  resourceType: 'Encounter',
  status: 'finished',
  class: { code: 'AMB' },
  subject: { reference: P },
};
const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] },
  subject: { reference: P },
  encounter: { reference: E },
  effectiveDateTime: '2024-03-05T10:00:00+08:00',
  hasMember: [{ reference: 'Observation/elsewhere' }],
};

const transaction = (entries: unknown[], type = 'transaction') => ({
  resourceType: 'Bundle',
  type,
  entry: entries,
});
const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(isCustodiaError(e), String(e));
    return e;
  }
  assert.fail('expected an error');
};

describe('planBundle', () => {
  it('orders DELETE, POST, PUT, GET and resolves urn:uuid references to assigned ids', () => {
    const plan = planBundle(
      transaction([
        { request: { method: 'GET', url: 'Observation?patient=Patient/x' } },
        { fullUrl: E, resource: structuredClone(encounter), request: { method: 'POST', url: 'Encounter' } },
        {
          resource: { resourceType: 'Patient', id: 'p9', gender: 'male' },
          request: { method: 'PUT', url: 'Patient/p9' },
        },
        {
          fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333',
          resource: structuredClone(observation),
          request: { method: 'POST', url: 'Observation' },
        },
        { request: { method: 'DELETE', url: 'Observation/old' } },
        { fullUrl: P, resource: structuredClone(patient), request: { method: 'POST', url: 'Patient' } },
      ]),
      { newId },
    );
    assert.deepEqual(
      plan.entries.map((e) => `${e.op}:${e.index}`),
      ['delete:4', 'create:1', 'create:3', 'create:5', 'update:2', 'search:0'],
    );
    assert.deepEqual(plan.externalReferences, ['Observation/elsewhere']);
    const bound = bindPlan(plan);
    const byIndex = new Map(bound.entries.map((e) => [e.index, e]));
    const patientEntry = byIndex.get(5)!;
    const encounterEntry = byIndex.get(1)!;
    const obs = byIndex.get(3)!;
    assert.ok(obs.op === 'create' && patientEntry.op === 'create' && encounterEntry.op === 'create');
    assert.deepEqual(obs.resource['subject'], { reference: `Patient/${patientEntry.id}` });
    assert.deepEqual(obs.resource['encounter'], { reference: `Encounter/${encounterEntry.id}` });
    assert.deepEqual(obs.resource['hasMember'], [{ reference: 'Observation/elsewhere' }]);
    assert.equal(obs.sourceId, '33333333-3333-4333-8333-333333333333');
    assert.equal(obs.resource.id, obs.id);
    assert.deepEqual(patientIdsOf(obs.resource), [patientEntry.id]);
  });

  it('binds references to the existing resource when a conditional create matched', () => {
    const plan = planBundle(
      transaction([
        { fullUrl: P, resource: structuredClone(patient), request: { method: 'POST', url: 'Patient' } },
        { resource: structuredClone(encounter), request: { method: 'POST', url: 'Encounter' } },
      ]),
      { newId },
    );
    const create = plan.entries.find((e) => e.index === 0)!;
    assert.ok(create.op === 'create');
    assert.deepEqual(create.condition, {
      kind: 'identifier',
      identifiers: [{ system: 'urn:oid:2.16.156.10011.1.1', value: '11010519491231002X' }],
    });
    const bound = bindPlan(plan, { matched: new Map([[0, 'existing-7']]) });
    assert.deepEqual(
      bound.entries.find((e) => e.index === 0),
      { op: 'matched', index: 0, resourceType: 'Patient', id: 'existing-7', fullUrl: P },
    );
    const enc = bound.entries.find((e) => e.index === 1)!;
    assert.ok(enc.op === 'create');
    assert.deepEqual(enc.resource['subject'], { reference: 'Patient/existing-7' });
  });

  it('parses ifNoneExist as a search of the entry type', () => {
    const plan = planBundle(
      transaction([
        {
          resource: structuredClone(patient),
          request: {
            method: 'POST',
            url: 'Patient',
            ifNoneExist: 'identifier=urn:oid:2.16.156.10011.1.1|11010519491231002X',
          },
        },
      ]),
      { newId },
    );
    const [entry] = plan.entries;
    assert.ok(entry?.op === 'create' && entry.condition?.kind === 'search');
    assert.equal(entry.condition.search.criteria[0]?.kind, 'identifier');
    const bad = failure(() =>
      planBundle(
        transaction([
          {
            resource: structuredClone(patient),
            request: { method: 'POST', url: 'Patient', ifNoneExist: 'colour=red' },
          },
        ]),
      ),
    );
    assert.equal(bad.path, 'Bundle.entry[0].request.ifNoneExist');
  });

  it('collects conditional references for the store and fails when one has no match', () => {
    const org = 'Organization?identifier=https://github.com/synthetichealth/synthea|abc';
    const plan = planBundle(
      transaction([
        {
          resource: {
            ...structuredClone(encounter),
            subject: { reference: 'Patient/p1' },
            serviceProvider: { reference: org },
          },
          request: { method: 'POST', url: 'Encounter' },
        },
      ]),
      { newId },
    );
    assert.deepEqual(
      plan.conditionalReferences.map((c) => c.reference),
      [org],
    );
    assert.deepEqual(plan.externalReferences, ['Patient/p1']);
    const bound = bindPlan(plan, { conditionalReferences: new Map([[org, 'o42']]) });
    const [entry] = bound.entries;
    assert.ok(entry?.op === 'create');
    assert.deepEqual(entry.resource['serviceProvider'], { reference: 'Organization/o42' });
    const again = planBundle(
      transaction([
        {
          resource: {
            ...structuredClone(encounter),
            serviceProvider: { reference: org },
            subject: { reference: 'Patient/p1' },
          },
          request: { method: 'POST', url: 'Encounter' },
        },
      ]),
      { newId },
    );
    assert.match(failure(() => bindPlan(again)).message, /no resource matches the conditional reference/);
  });

  it('refuses duplicate fullUrls, dangling urn:uuid references and malformed requests with entry paths', () => {
    const dup = failure(() =>
      planBundle(
        transaction([
          { fullUrl: P, resource: structuredClone(patient), request: { method: 'POST', url: 'Patient' } },
          { fullUrl: P, resource: structuredClone(patient), request: { method: 'POST', url: 'Patient' } },
        ]),
      ),
    );
    assert.equal(dup.status, 400);
    assert.equal(dup.path, 'Bundle.entry[1].fullUrl');

    const dangling = failure(() =>
      planBundle(
        transaction([
          { resource: structuredClone(observation), request: { method: 'POST', url: 'Observation' } },
        ]),
      ),
    );
    assert.equal(dangling.status, 400);
    assert.match(dangling.message, /urn:uuid:11111111/);

    const many = failure(() =>
      planBundle(
        transaction([
          { resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
          { resource: structuredClone(patient), request: { method: 'POST', url: 'Observation' } },
          { resource: structuredClone(patient) },
          { request: { method: 'PATCH', url: 'Patient/1' } },
          { request: { method: 'PUT', url: 'Patient?identifier=x' }, resource: structuredClone(patient) },
        ]),
      ),
    );
    assert.deepEqual(
      issuesOf(many)!.map((i) => i.expression),
      [
        'Bundle.entry[0].resource.gender',
        'Bundle.entry[1].resource.resourceType',
        'Bundle.entry[2].request',
        'Bundle.entry[3].request.method',
        'Bundle.entry[4].request.url',
      ],
    );
  });

  it('refuses two changes to the same resource in one transaction', () => {
    const e = failure(() =>
      planBundle(
        transaction([
          { resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/a' } },
          { request: { method: 'DELETE', url: 'Patient/a' } },
        ]),
      ),
    );
    assert.equal(e.path, 'Bundle.entry[1].request.url');
  });

  it('refuses a PUT whose body id differs from the url', () => {
    const e = failure(() =>
      planBundle(
        transaction([
          { resource: { resourceType: 'Patient', id: 'b' }, request: { method: 'PUT', url: 'Patient/a' } },
        ]),
      ),
    );
    assert.equal(e.path, 'Bundle.entry[0].resource.id');
  });

  it('answers 413 above the entry limit', () => {
    const e = failure(() =>
      planBundle(
        transaction([
          { request: { method: 'GET', url: 'Patient/1' } },
          { request: { method: 'GET', url: 'Patient/2' } },
        ]),
        { maxEntries: 1 },
      ),
    );
    assert.equal(e.status, 413);
  });

  it('fails only the bad entries of a batch, and forbids references between batch entries', () => {
    const plan = planBundle(
      transaction(
        [
          { resource: { resourceType: 'Patient', gender: 'x' }, request: { method: 'POST', url: 'Patient' } },
          { fullUrl: P, resource: structuredClone(patient), request: { method: 'POST', url: 'Patient' } },
          { resource: structuredClone(encounter), request: { method: 'POST', url: 'Encounter' } },
          { request: { method: 'GET', url: 'Patient/p1' } },
        ],
        'batch',
      ),
      { newId },
    );
    assert.deepEqual(plan.entries.map((e) => `${e.op}:${e.index}`).sort(), [
      'create:1',
      'failed:0',
      'failed:2',
      'read:3',
    ]);
  });

  it('rewrites absolute references under the server base to relative ones', () => {
    const plan = planBundle(
      transaction([
        {
          resource: {
            ...structuredClone(encounter),
            subject: { reference: 'https://custodia.example/fhir/Patient/p5' },
          },
          request: { method: 'POST', url: 'https://custodia.example/fhir/Encounter' },
        },
      ]),
      {
        newId,
        baseUrl: 'https://custodia.example/fhir/',
      },
    );
    assert.deepEqual(plan.externalReferences, ['Patient/p5']);
    const [entry] = bindPlan(plan).entries;
    assert.ok(entry?.op === 'create');
    assert.deepEqual(entry.resource['subject'], { reference: 'Patient/p5' });
  });
});

describe('collectReferences', () => {
  it('finds references at any depth, in extensions and contained resources', () => {
    const resource = {
      resourceType: 'Observation',
      extension: [{ url: 'http://x.org/e', valueReference: { reference: 'Patient/1' } }],
      contained: [{ resourceType: 'Specimen', subject: { reference: 'Patient/2' } }],
      component: [{ valueString: 'reference' }],
      performer: [{ reference: 'Practitioner/3' }],
    };
    assert.deepEqual(
      collectReferences(resource)
        .map((s) => s.reference)
        .sort(),
      ['Patient/1', 'Patient/2', 'Practitioner/3'],
    );
  });
});

describe('response bundles', () => {
  it('builds a transaction-response in submission order with locations and ETags', () => {
    const b = bundleResponse(
      'transaction',
      [{ status: 201, resourceType: 'Patient', id: 'a', versionId: '1', lastModified: 0 }, { status: 204 }],
      'https://h/fhir/',
      0,
    );
    assert.equal(b.type, 'transaction-response');
    assert.deepEqual(b.entry?.[0]?.response, {
      status: '201 Created',
      location: 'Patient/a/_history/1',
      etag: 'W/"1"',
      lastModified: '1970-01-01T00:00:00.000Z',
    });
    assert.equal(b.entry?.[0]?.fullUrl, 'https://h/fhir/Patient/a');
    assert.deepEqual(b.entry?.[1]?.response, { status: '204 No Content' });
  });

  it('builds a searchset with links that repeat the applied search and an outcome for ignored parameters', () => {
    const search = parseSearch('Observation', 'patient=p1&date=ge2024&colour=red&_count=2');
    const b = searchsetBundle({
      baseUrl: 'https://h/fhir',
      search,
      matches: [{ resourceType: 'Observation', id: 'o1' }],
      total: 5,
      next: { offset: 2 },
      now: 0,
    });
    assert.equal(b.total, 5);
    assert.deepEqual(b.link, [
      { relation: 'self', url: 'https://h/fhir/Observation?patient=p1&date=ge2024&_count=2' },
      { relation: 'next', url: 'https://h/fhir/Observation?patient=p1&date=ge2024&_count=2&_offset=2' },
    ]);
    assert.equal(b.entry?.[0]?.search?.mode, 'match');
    const outcome = b.entry?.[1];
    assert.equal(outcome?.search?.mode, 'outcome');
    assert.match(JSON.stringify(outcome?.resource), /colour/);
  });

  it('renders a searchset with stored JSON spliced in exactly as the object form serializes', () => {
    const stored = [
      { resourceType: 'Observation', id: 'o1', status: 'final', valueString: '血压 "高" \\ 120/80' },
      { resourceType: 'Observation', id: 'o2', code: { text: 'x' } },
    ];
    for (const query of ['patient=p1&colour=red&_count=2', 'patient=p1', 'patient=p1&_total=accurate']) {
      const search = parseSearch('Observation', query);
      for (const matches of [stored, []]) {
        const input = { baseUrl: 'https://h/fhir/', search, total: 7, next: { offset: 2 }, now: 0 };
        const bytes = searchsetJson({
          ...input,
          // Stored bytes, or text (a body rewritten by an obligation may come as either).
          matches: matches.map((m, i) => ({
            resourceType: m.resourceType,
            id: m.id,
            json: i === 0 ? Buffer.from(JSON.stringify(m)) : JSON.stringify(m),
          })),
        });
        assert.deepEqual(JSON.parse(bytes.toString('utf8')), searchsetBundle({ ...input, matches }), query);
      }
    }
  });

  it('builds a history bundle', () => {
    const b = historyBundle({
      baseUrl: 'https://h/fhir',
      self: 'https://h/fhir/Patient/a/_history',
      versions: [
        { resourceType: 'Patient', id: 'a', versionId: '2', lastUpdated: 1000, method: 'DELETE' },
        {
          resourceType: 'Patient',
          id: 'a',
          versionId: '1',
          lastUpdated: 0,
          method: 'POST',
          resource: { resourceType: 'Patient', id: 'a' },
        },
      ],
      total: 2,
    });
    assert.equal(b.type, 'history');
    assert.deepEqual(
      b.entry?.map((e) => e.request?.method),
      ['DELETE', 'POST'],
    );
    assert.equal(b.entry?.[0]?.resource, undefined);
  });
});

describe('planBundle on the Synthea fixtures', { skip: syntheaAvailable() ? false : SYNTHEA_MISSING }, () => {
  it('plans and binds every Synthea transaction, leaving no urn:uuid behind', () => {
    for (const { file, bundle } of syntheaBundles()) {
      const bound = bindPlan(planBundle(structuredClone(bundle), { newId }));
      assert.equal(bound.entries.length, bundle.entry?.length, file);
      for (const entry of bound.entries) {
        assert.ok(entry.op === 'create', `${file}: ${entry.op}`);
        const text = JSON.stringify(entry.resource);
        assert.ok(
          !text.includes('"urn:uuid:'),
          `${file} entry ${entry.index} still holds a urn:uuid reference`,
        );
        const patients = patientIdsOf(entry.resource as FhirResource);
        if (
          [
            'Observation',
            'Condition',
            'Encounter',
            'Procedure',
            'MedicationRequest',
            'Immunization',
            'Claim',
          ].includes(entry.resourceType)
        ) {
          assert.equal(patients.length, 1, `${file} ${entry.resourceType} has no patient`);
          const values = extractIndexValues(entry.resource);
          assert.ok(values.some((v) => v.param === 'patient' && v.kind === 'reference'));
        }
      }
    }
  });
});
