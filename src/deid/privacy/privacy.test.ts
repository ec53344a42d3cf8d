import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError } from '../../core/index.js';
import type { Hierarchy } from '../operators/hierarchy.js';
import { ageHierarchy, hierarchyFromCsv } from '../operators/hierarchy.js';
import { anonymize } from './anonymize.js';
import { NodeChecker } from './checker.js';
import type { PrivacyCriterion } from './criteria.js';
import { kOf, prepareChecks } from './criteria.js';
import { encodeRows } from './encode.js';
import { exhaustiveSearch, optimalSearch } from './lattice.js';
import type { LossMetric } from './loss.js';
import { generalizedValue } from './recoding.js';

/** value -> pair -> quad -> *, over v0..v7. */
const eight: Hierarchy = hierarchyFromCsv(
  'eight',
  Array.from({ length: 8 }, (_, i) => `v${i},p${i >> 1},q${i >> 2}`).join('\n'),
);
const diseases: Hierarchy = hierarchyFromCsv(
  'disease',
  ['flu,respiratory', 'asthma,respiratory', 'gastritis,digestive', 'ulcer,digestive', 'hiv,infectious'].join(
    '\n',
  ),
);
const DISEASES = ['flu', 'asthma', 'gastritis', 'ulcer', 'hiv'];

const rowArb = fc.record({
  age: fc.integer({ min: 18, max: 60 }).map(String),
  a: fc.integer({ min: 0, max: 7 }).map((i) => `v${i}`),
  b: fc.integer({ min: 0, max: 7 }).map((i) => `v${i}`),
  disease: fc.constantFrom(...DISEASES),
});
const tableArb = fc.array(rowArb, { minLength: 12, maxLength: 80 });
const qis = [
  { name: 'age', hierarchy: ageHierarchy([10, 20]) },
  { name: 'a', hierarchy: eight },
  { name: 'b', hierarchy: eight },
];

const criteriaArb: fc.Arbitrary<PrivacyCriterion[]> = fc.oneof(
  fc.integer({ min: 2, max: 6 }).map((k): PrivacyCriterion[] => [{ kind: 'k-anonymity', k }]),
  fc
    .tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 3 }))
    .map(([k, l]): PrivacyCriterion[] => [
      { kind: 'k-anonymity', k },
      { kind: 'distinct-l-diversity', attribute: 'disease', l },
    ]),
  fc.tuple(fc.integer({ min: 2, max: 4 }), fc.constantFrom(1.5, 2)).map(([k, l]): PrivacyCriterion[] => [
    { kind: 'k-anonymity', k },
    { kind: 'entropy-l-diversity', attribute: 'disease', l },
  ]),
  fc
    .tuple(
      fc.integer({ min: 2, max: 4 }),
      fc.constantFrom(0.3, 0.5),
      fc.constantFrom('equal', 'hierarchical', 'ordered'),
    )
    .map(([k, t, distance]): PrivacyCriterion[] => [
      { kind: 'k-anonymity', k },
      { kind: 't-closeness', attribute: 'disease', t, distance, hierarchy: diseases },
    ]),
);

describe('optimal lattice search', () => {
  it('finds the same minimal loss as exhaustive search (random tables, models, limits, metrics)', () => {
    fc.assert(
      fc.property(
        tableArb,
        criteriaArb,
        fc.constantFrom(0, 0.05, 0.2),
        fc.constantFrom<LossMetric>('loss', 'discernibility', 'entropy'),
        (rows, criteria, limit, metric) => {
          const table = encodeRows(rows, qis, ['disease']);
          const checks = prepareChecks(criteria, table);
          const k = kOf(criteria);
          const reference = exhaustiveSearch(new NodeChecker(table, checks, k, limit, metric));
          if (reference === undefined) {
            assert.throws(
              () => optimalSearch(new NodeChecker(table, checks, k, limit, metric)),
              isCustodiaError,
            );
            return;
          }
          const checker = new NodeChecker(table, checks, k, limit, metric);
          const found = optimalSearch(checker);
          assert.ok(
            Math.abs(found.result.loss - reference.result.loss) <= 1e-9 * Math.max(1, reference.result.loss),
            `flash ${found.result.loss} at ${found.levels} vs exhaustive ${reference.result.loss} at ${reference.levels}`,
          );
          assert.ok(found.result.anonymous);
          assert.ok(found.checks <= found.latticeSize);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('releases only classes of at least k rows that satisfy l and t, within the suppression limit', () => {
    fc.assert(
      fc.property(
        tableArb,
        criteriaArb,
        fc.constantFrom(0, 0.1),
        fc.boolean(),
        (rows, criteria, limit, local) => {
          const table = encodeRows(rows, qis, ['disease']);
          let result;
          try {
            result = anonymize(table, {
              criteria,
              suppressionLimit: limit,
              recoding: local ? 'local' : 'global',
            });
          } catch (e) {
            assert.ok(isCustodiaError(e), String(e));
            return;
          }
          const suppressed = result.recoding.suppressed.reduce((a, b) => a + b, 0);
          assert.ok(
            suppressed <= Math.floor(limit * rows.length + 1e-9),
            `suppressed ${suppressed} of ${rows.length}`,
          );
          for (const v of result.verification)
            assert.ok(v.holds, `${v.criterion} fails on ${v.failingClasses} classes`);
          // Recount k independently, from the released strings.
          const sizes = new Map<string, number>();
          for (let r = 0; r < rows.length; r++) {
            if (result.recoding.suppressed[r] === 1) continue;
            const key = qis.map((_, i) => generalizedValue(table, result.recoding, i, r)).join('|');
            sizes.set(key, (sizes.get(key) ?? 0) + 1);
          }
          const k = kOf(criteria);
          for (const [key, size] of sizes) assert.ok(size >= k, `class ${key} has ${size} < ${k} rows`);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('local recoding keeps at least as much detail as the global optimum on skewed data', () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({
      age: String(20 + ((i * 7) % 40)),
      a: `v${i % 3 === 0 ? (i >> 3) % 8 : 0}`,
      b: `v${(i * 5) % 8}`,
      disease: DISEASES[i % 5]!,
    }));
    const table = encodeRows(rows, qis, ['disease']);
    const criteria: PrivacyCriterion[] = [{ kind: 'k-anonymity', k: 5 }];
    const global = anonymize(table, { criteria });
    const local = anonymize(table, { criteria, recoding: 'local' });
    assert.ok(local.verification.every((v) => v.holds));
    assert.ok(
      local.after.utility.generalizationLoss < global.after.utility.generalizationLoss,
      `local ${local.after.utility.generalizationLoss} vs global ${global.after.utility.generalizationLoss}`,
    );
  });

  it('reports risk before and after: generalization lowers the prosecutor risk to at most 1/k', () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({
      age: String(20 + (i % 37)),
      a: `v${i % 8}`,
      b: `v${(i >> 2) % 8}`,
      disease: DISEASES[i % 5]!,
    }));
    const table = encodeRows(rows, qis, ['disease']);
    const result = anonymize(table, { criteria: [{ kind: 'k-anonymity', k: 4 }] });
    assert.equal(result.before.risk.prosecutor.highest, 1);
    assert.ok(result.before.risk.sampleUniques > 0.5);
    assert.ok(result.after.risk.prosecutor.highest <= 1 / 4);
    assert.equal(result.after.risk.sampleUniques, 0);
    assert.ok(result.after.utility.averageClassSize >= 4);
    assert.equal(result.before.utility.generalizationLoss, 0);
  });

  it('uses a population table for journalist risk', () => {
    const rows = [
      { age: '30', a: 'v0', b: 'v0', disease: 'flu' },
      { age: '31', a: 'v0', b: 'v0', disease: 'hiv' },
    ];
    const table = encodeRows(rows, qis, ['disease']);
    const population = {
      rows: [
        { values: { age: '30', a: 'v0', b: 'v0' }, count: 10 },
        { values: { age: '31', a: 'v1', b: 'v0' }, count: 30 },
      ],
    };
    const result = anonymize(table, {
      criteria: [{ kind: 'k-anonymity', k: 2 }],
      population,
      maxLevels: [1, 2, 0],
    });
    // Ages 30 and 31 share the 30-39 band; a = v0 and v1 share p0 at level 1.
    assert.ok(result.after.risk.journalist.population);
    assert.ok(result.after.risk.journalist.highest <= 1 / 2);
    assert.ok(result.after.risk.marketer < result.after.risk.prosecutor.average + 1e-12);
  });
});

describe('bad input', () => {
  it('names the value and the column a hierarchy misses', () => {
    assert.throws(
      () => encodeRows([{ age: '30', a: 'v9', b: 'v0' }], qis),
      (e: unknown) => isCustodiaError(e) && /"v9"/.test(e.message) && /"a"/.test(e.message) && e.path === 'a',
    );
  });

  it('refuses k larger than the number of rows', () => {
    const table = encodeRows([{ age: '30', a: 'v0', b: 'v0' }], qis);
    assert.throws(
      () => anonymize(table, { criteria: [{ kind: 'k-anonymity', k: 5 }] }),
      (e: unknown) =>
        isCustodiaError(e) && /larger than the number of rows \(1\)/.test(e.message) && e.zh !== undefined,
    );
  });

  it('refuses a suppression limit outside [0, 1]', () => {
    const table = encodeRows([{ age: '30', a: 'v0', b: 'v0' }], qis);
    assert.throws(
      () => anonymize(table, { criteria: [{ kind: 'k-anonymity', k: 1 }], suppressionLimit: 5 }),
      (e: unknown) => isCustodiaError(e) && e.path === 'privacy.suppressionLimit',
    );
  });
});
