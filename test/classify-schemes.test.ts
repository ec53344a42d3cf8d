import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCustodiaError } from '../src/core/index.js';
import {
  BUILT_IN_SCHEMES,
  DATA_CATEGORIES,
  buildScheme,
  getGrade,
  getScheme,
  handlingFor,
  listSchemes,
  maxGrade,
} from '../src/classify/index.js';

test('the three built-in schemes load and validate', () => {
  assert.deepEqual([...BUILT_IN_SCHEMES].sort(), ['gbt-39725-2020', 'hipaa', 'seed-3-grade']);
  for (const s of listSchemes()) {
    assert.ok(s.name.zh && s.name.en, `${s.id} has names in both languages`);
    for (const g of s.grades) assert.ok(g.name.zh && g.description.en, `${s.id}/${g.id} is described`);
  }
});

test('an unknown scheme or grade is an error that names it and lists the valid ones', () => {
  assert.throws(
    () => getScheme('iso-27799'),
    (e) =>
      isCustodiaError(e) &&
      e.code === 'not-found' &&
      /iso-27799/.test(e.message) &&
      /gbt-39725-2020/.test(e.message) &&
      /未知的分级方案/.test(e.zh ?? ''),
  );
  assert.throws(
    () => getGrade('gbt-39725-2020', 'level-6'),
    (e) =>
      isCustodiaError(e) &&
      /level-6/.test(e.message) &&
      /level-1, level-2, level-3, level-4, level-5/.test(e.message),
  );
});

test('seed grade 1: separate consent and a public-health emergency, encrypted throughout', () => {
  const g1 = getGrade('seed-3-grade', 'grade-1');
  assert.equal(g1.handling.requiresSeparateConsent, true);
  assert.deepEqual(g1.handling.requiresPurposeIn, ['public-health-emergency']);
  assert.equal(g1.handling.encryptionScope, 'whole-lifecycle');
  assert.equal(g1.handling.purposes['public-health-emergency']?.requiresEmergencyDeclaration, true);
  const research = handlingFor(getScheme('seed-3-grade'), 'grade-1', 'research');
  assert.equal(research.allowed, false);
  assert.equal(g1.handling.defaultConsent['public-health-emergency'], 'deny');
});

test('seed grade 2: research and AI training only under privacy computing, with authorization and filing', () => {
  const g2 = getGrade('seed-3-grade', 'grade-2');
  for (const p of ['research', 'ai-training'] as const) {
    const rule = g2.handling.purposes[p]!;
    assert.equal(rule.consent, 'opt-in');
    assert.equal(rule.requiresPrivacyComputing, true);
    assert.equal(rule.requiresInstitutionalFiling, true);
    assert.equal(g2.handling.defaultConsent[p], 'deny');
  }
  assert.ok(g2.handling.requiresPurposeIn?.includes('research'));
  assert.ok(!g2.handling.requiresPurposeIn?.includes('marketing'));
});

test('seed grade 3: public health after de-identification without authorization, source and standard recorded', () => {
  const g3 = getGrade('seed-3-grade', 'grade-3');
  const rule = g3.handling.purposes['public-health']!;
  assert.equal(rule.consent, 'not-required');
  assert.equal(rule.requiresDeidentification, true);
  assert.equal(g3.handling.requiresSourceRecord, true);
  assert.equal(g3.handling.requiresDeidentificationStandardRecord, true);
  assert.equal(g3.handling.defaultConsent['public-health'], 'permit');
});

test('GB/T 39725-2020 has five levels, ordered, with access ranges', () => {
  const s = getScheme('gbt-39725-2020');
  assert.deepEqual(
    s.grades.map((g) => g.id),
    ['level-1', 'level-2', 'level-3', 'level-4', 'level-5'],
  );
  assert.deepEqual(
    s.grades.map((g) => g.handling.maxAccessScope),
    ['public', 'large', 'medium', 'small', 'minimal'],
  );
  assert.ok(s.grades.every((g) => g.accessRange?.zh));
  assert.equal(maxGrade(s, 'level-2', 'level-5'), 'level-5');
  assert.equal(DATA_CATEGORIES.length, 6);
});

test('HIPAA lists the 18 Safe Harbor identifiers and the limited data set keeps dates and geography only', () => {
  const s = getScheme('hipaa');
  assert.deepEqual(
    s.safeHarborIdentifiers.map((i) => i.number),
    Array.from({ length: 18 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    s.safeHarborIdentifiers.filter((i) => i.allowedInLimitedDataSet).map((i) => i.id),
    ['geographic', 'dates'],
  );
  assert.deepEqual(getGrade(s, 'limited-data-set').handling.allowedPurposes, [
    'operations',
    'public-health',
    'public-health-emergency',
    'research',
  ]);
});

test('a scheme naming a grade it does not define is rejected', () => {
  const bad = {
    id: 'x',
    version: '1',
    name: { zh: '甲', en: 'x' },
    description: { zh: '甲', en: 'x' },
    source: { zh: '甲', en: 'x' },
    defaultGrade: 'a',
    grades: [
      {
        id: 'a',
        rank: 1,
        name: { zh: '甲', en: 'a' },
        description: { zh: '甲', en: 'a' },
        examples: { zh: [], en: [] },
        confidentiality: 'N',
        handling: {
          requiresEncryption: true,
          encryptionScope: 'storage-and-transit',
          maxAccessScope: 'small',
          requiresSourceRecord: true,
          requiresDeidentificationStandardRecord: false,
          purposes: { treatment: { consent: 'not-required' } },
        },
      },
    ],
    assignment: [{ when: { anySensitivity: ['HIV'] }, grade: 'b', reason: { zh: '甲', en: 'x' } }],
  };
  assert.throws(
    () => buildScheme(bad),
    (e) => isCustodiaError(e) && /unknown grade b/.test(e.message),
  );
  assert.throws(
    () => buildScheme({ ...bad, grades: [{ ...bad.grades[0], confidentiality: 'Q' }] }),
    (e) => isCustodiaError(e) && e.code === 'invalid-config' && /confidentiality/.test(e.message),
  );
});
