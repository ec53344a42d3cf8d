import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ACT_CODE_SYSTEM,
  CONFIDENTIALITY_SYSTEM,
  applyLabels,
  getScheme,
  gradeSystem,
  labelResource,
  relabel,
  securityTokens,
  type Coding,
  type FhirResource,
} from '../src/classify/index.js';

const seed = getScheme('seed-3-grade');
const gbt = getScheme('gbt-39725-2020');
const hipaa = getScheme('hipaa');

const condition = (system: string, code: string): FhirResource => ({
  resourceType: 'Condition',
  subject: { reference: 'Patient/1' },
  code: { coding: [{ system, code }] },
});
const sensitivityOf = (r: FhirResource) =>
  (r.meta?.security ?? []).filter((c) => c.system === ACT_CODE_SYSTEM).map((c) => c.code);

test('HIV in the Chinese national clinical version (B20.x00) is HIV-sensitive, restricted, core privacy', () => {
  const l = labelResource(condition('http://example.cn/icd-10-cn-clinical-2.0', 'B20.x00'), seed);
  assert.deepEqual(l.sensitivity, ['HIV']);
  assert.equal(l.confidentiality, 'R');
  assert.deepEqual(l.grade, { scheme: 'seed-3-grade', grade: 'grade-1' });
  assert.ok(l.reasons.some((r) => r.kind === 'code' && /B20\.x00.*hiv/.test(r.text)));
  assert.equal(
    labelResource(condition('http://hl7.org/fhir/sid/icd-10', 'B20.x00'), gbt).grade.grade,
    'level-5',
  );
});

test('codes from each value set get their sensitivity code', () => {
  const cases: [string, string, string][] = [
    ['http://hl7.org/fhir/sid/icd-10', 'F32.900', 'PSY'],
    ['http://hl7.org/fhir/sid/icd-10-cm', 'F11.20', 'ETH'],
    ['http://snomed.info/sct', '5602001', 'ETH'],
    ['http://loinc.org', '75622-1', 'HIV'],
    ['http://loinc.org', '7918-6', 'HIV'],
    ['http://loinc.org', '5221-7', 'HIV'],
    ['http://loinc.org', '81247-9', 'GDIS'],
    ['http://hl7.org/fhir/sid/icd-10', 'Q90.9', 'GDIS'],
    ['http://hl7.org/fhir/sid/icd-10', 'T74.2', 'SDV'],
    ['http://hl7.org/fhir/sid/icd-10', 'O03.9', 'SEX'],
    ['http://hl7.org/fhir/sid/icd-10', 'A53.900', 'STD'],
  ];
  for (const [system, code, expected] of cases)
    assert.deepEqual(
      labelResource(condition(system, code), seed).sensitivity,
      [expected],
      `${system}|${code}`,
    );
  // Neighbouring codes that are not sensitive stay that way.
  assert.deepEqual(labelResource(condition('http://hl7.org/fhir/sid/icd-10', 'F09'), seed).sensitivity, []);
  assert.deepEqual(
    labelResource(condition('http://hl7.org/fhir/sid/icd-10', 'I10.x00'), seed).sensitivity,
    [],
  );
  assert.deepEqual(labelResource(condition('http://loinc.org', '7918-7'), seed).sensitivity, []);
});

test('resource types set the category, and the scheme turns it into a grade', () => {
  const patient = labelResource({ resourceType: 'Patient', name: [{ text: '张三' }] }, seed);
  assert.equal(patient.category, 'personal-attribute');
  assert.equal(patient.grade.grade, 'grade-2');
  const org = { resourceType: 'Organization', name: '北京协和医院' };
  assert.deepEqual(labelResource(org, gbt).grade, { scheme: 'gbt-39725-2020', grade: 'level-1' });
  assert.equal(labelResource(org, gbt).confidentiality, 'U');
  assert.equal(labelResource(org, hipaa).grade.grade, 'non-phi');
  const vitals: FhirResource = {
    resourceType: 'Observation',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' },
        ],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
  };
  assert.equal(labelResource(vitals, seed).grade.grade, 'grade-3');
  const med = { resourceType: 'MedicationRequest', medicationCodeableConcept: { text: 'x' } };
  assert.equal(labelResource(med, seed).grade.grade, 'grade-2');
  const anonymized: FhirResource = {
    ...condition('http://hl7.org/fhir/sid/icd-10', 'I10'),
    meta: {
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'ANONYED' }],
    },
  };
  assert.equal(labelResource(anonymized, hipaa).grade.grade, 'de-identified');
});

test('applyLabels replaces managed codings, keeps unrelated ones and does not touch the input', () => {
  const unrelated: Coding = { system: 'http://example.org/policy', code: 'research-only' };
  const stale: Coding = { system: ACT_CODE_SYSTEM, code: 'HIV' };
  const r: FhirResource = {
    ...condition('http://hl7.org/fhir/sid/icd-10', 'J45'),
    meta: { versionId: '3', security: [unrelated, stale] },
  };
  const out = applyLabels(r, labelResource(r, seed));
  assert.deepEqual(r.meta?.security, [unrelated, stale]);
  assert.equal(out.meta?.versionId, '3');
  assert.ok(out.meta?.security?.some((c) => c.code === 'research-only'));
  assert.deepEqual(sensitivityOf(out), []);
  assert.ok(securityTokens(out).includes(`${gradeSystem('seed-3-grade')}|grade-2`));
  assert.ok(securityTokens(out).includes(`${CONFIDENTIALITY_SYSTEM}|N`));
});

test('a label set by hand (userSelected) survives relabelling and raises the grade', () => {
  const manual: Coding = { system: ACT_CODE_SYSTEM, code: 'PSY', userSelected: true };
  const r: FhirResource = {
    ...condition('http://hl7.org/fhir/sid/icd-10', 'R51'),
    meta: { security: [manual] },
  };
  const out = relabel(r, seed);
  assert.deepEqual(sensitivityOf(out), ['PSY']);
  assert.ok(out.meta?.security?.some((c) => c.userSelected === true));
  assert.equal(labelResource(out, seed).grade.grade, 'grade-1');
});

test('relabelling under another scheme swaps the grade coding', () => {
  const once = relabel(condition('http://snomed.info/sct', '5602001'), seed);
  const twice = relabel(once, hipaa);
  const grades = (twice.meta?.security ?? []).filter((c) => c.system?.includes('/grade/'));
  assert.deepEqual(
    grades.map((c) => [c.system, c.code]),
    [[gradeSystem('hipaa'), 'phi-special']],
  );
});

test('applying labels is idempotent whatever other codings a resource carries', () => {
  const coding = fc.record({
    system: fc.constantFrom(
      ACT_CODE_SYSTEM,
      CONFIDENTIALITY_SYSTEM,
      'http://example.org/x',
      gradeSystem('hipaa'),
    ),
    code: fc.constantFrom('HIV', 'PSY', 'N', 'R', 'V', 'grade-1', 'phi', 'other'),
    userSelected: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.array(coding, { maxLength: 6 }),
      fc.constantFrom('I10', 'B20', 'F32.1', 'Z00'),
      (security, code) => {
        const r: FhirResource = { ...condition('http://hl7.org/fhir/sid/icd-10', code), meta: { security } };
        const once = relabel(r, seed);
        const twice = relabel(once, seed);
        assert.deepEqual(twice.meta?.security, once.meta?.security);
        const conf = (once.meta?.security ?? []).filter(
          (c) => c.system === CONFIDENTIALITY_SYSTEM && c.userSelected !== true,
        );
        assert.ok(conf.length <= 1);
        const expected = labelResource(r, seed).confidentiality;
        assert.ok(
          once.meta?.security?.some((c) => c.system === CONFIDENTIALITY_SYSTEM && c.code === expected),
        );
        for (const c of security)
          if (c.system === 'http://example.org/x') assert.ok(once.meta?.security?.includes(c));
      },
    ),
  );
});

const SYNTHEA = join(import.meta.dirname, '..', '..', 'shared', 'data', 'synthea');
test(
  'every Synthea resource gets a confidentiality, a category and a grade',
  { skip: existsSync(SYNTHEA) ? false : `no Synthea data at ${SYNTHEA}` },
  () => {
    let n = 0;
    const sensitive = new Set<string>();
    for (const file of readdirSync(SYNTHEA).filter((f) => f.endsWith('.json'))) {
      const bundle = JSON.parse(readFileSync(join(SYNTHEA, file), 'utf8')) as {
        entry: { resource: FhirResource }[];
      };
      for (const { resource } of bundle.entry) {
        const out = relabel(resource, gbt);
        const systems = (out.meta?.security ?? []).map((c) => c.system);
        assert.ok(
          systems.includes(CONFIDENTIALITY_SYSTEM) && systems.includes(gradeSystem('gbt-39725-2020')),
        );
        for (const c of sensitivityOf(out)) sensitive.add(c!);
        n++;
      }
    }
    assert.ok(n > 1000);
    // The fixtures hold opioid abuse (SNOMED 5602001) and a hereditary dementia.
    assert.ok(sensitive.has('ETH') && sensitive.has('GDIS'), [...sensitive].join());
  },
);
