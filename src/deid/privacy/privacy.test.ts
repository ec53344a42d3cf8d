import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError } from '../../core/index.js';
import type { Hierarchy } from '../operators/hierarchy.js';
import { ageHierarchy, hierarchyFromCsv } from '../operators/hierarchy.js';
import { anonymize } from './anonymize.js';
import type { CheckerOptions, NodeResult } from './checker.js';
import { NodeChecker } from './checker.js';
import type { PrivacyCriterion } from './criteria.js';
import { kOf, prepareChecks } from './criteria.js';
import { encodeRows } from './encode.js';
import { Lattice, exhaustiveSearch, optimalSearch } from './lattice.js';
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

/** Caches from none to ample, and each way of grouping (direct addressing, numeric hash, tuples). */
const checkerOptionsArb: fc.Arbitrary<CheckerOptions> = fc.record({
  cacheEntries: fc.constantFrom(0, 40, 1000, 4_000_000),
  denseLimit: fc.constantFrom(0, 64, 1 << 16),
  numericKeys: fc.boolean(),
});

function sameResult(a: NodeResult, b: NodeResult, where = ''): void {
  assert.equal(a.classes, b.classes, `classes ${where}`);
  assert.equal(a.suppressed, b.suppressed, `suppressed ${where}`);
  assert.equal(a.belowK, b.belowK, `belowK ${where}`);
  assert.equal(a.anonymous, b.anonymous, `anonymous ${where}`);
  assert.ok(
    Math.abs(a.loss - b.loss) <= 1e-9 * Math.max(1, Math.abs(b.loss)),
    `loss ${a.loss} vs ${b.loss} ${where}`,
  );
  assert.ok(Math.abs(a.lowerBoundUp - b.lowerBoundUp) <= 1e-9 * Math.max(1, Math.abs(b.lowerBoundUp)), where);
}

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

  it('with suppression, matches a brute-force check of every node grouped from the bottom (any cache, any grouping)', () => {
    fc.assert(
      fc.property(
        tableArb,
        criteriaArb,
        fc.constantFrom(0.02, 0.05, 0.1, 0.3),
        fc.constantFrom<LossMetric>('loss', 'discernibility', 'entropy'),
        checkerOptionsArb,
        (rows, criteria, limit, metric, options) => {
          const table = encodeRows(rows, qis, ['disease']);
          const checks = prepareChecks(criteria, table);
          const k = kOf(criteria);
          // Brute force: every node, no roll-up, tuples of ids (the original grouping).
          const brute = new NodeChecker(table, checks, k, limit, metric, {
            rollUp: false,
            numericKeys: false,
          });
          const lattice = new Lattice(table.qis.map((qi) => qi.height));
          let bestLoss = Infinity;
          for (let v = 0; v < lattice.size; v++) {
            const r = brute.evaluate(lattice.levels(v));
            if (r.anonymous) bestLoss = Math.min(bestLoss, r.loss);
          }
          const checker = new NodeChecker(table, checks, k, limit, metric, options);
          if (bestLoss === Infinity) {
            assert.throws(() => optimalSearch(checker), isCustodiaError);
            return;
          }
          const found = optimalSearch(checker);
          const tolerance = 1e-9 * Math.max(1, bestLoss);
          assert.ok(
            Math.abs(found.result.loss - bestLoss) <= tolerance,
            `${found.result.loss} vs ${bestLoss}`,
          );
          // What the search reports for its node is what a direct check of that node gives.
          sameResult(found.result, brute.evaluate(found.levels));
          assert.ok(found.result.suppressed <= Math.floor(limit * rows.length + 1e-9));
        },
      ),
      { numRuns: 120 },
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

describe('roll-up', () => {
  it('gives every node the same classes, suppression and loss as grouping it from the bottom', () => {
    fc.assert(
      fc.property(
        tableArb,
        criteriaArb,
        fc.constantFrom(0, 0.1),
        fc.constantFrom<LossMetric>('loss', 'discernibility', 'entropy'),
        checkerOptionsArb,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (rows, criteria, limit, metric, options, seed) => {
          const table = encodeRows(rows, qis, ['disease']);
          const checks = prepareChecks(criteria, table);
          const k = kOf(criteria);
          const direct = new NodeChecker(table, checks, k, limit, metric, {
            rollUp: false,
            numericKeys: false,
          });
          const rolled = new NodeChecker(table, checks, k, limit, metric, { ...options, rollUp: true });
          assert.ok(rolled.rollUp, 'the test hierarchies are trees');
          const lattice = new Lattice(table.qis.map((qi) => qi.height));
          // Every node, in a shuffled order: sources are whatever happens to be cached.
          const nodes = Array.from({ length: lattice.size }, (_, i) => i);
          let x = seed;
          for (let i = nodes.length - 1; i > 0; i--) {
            x = (Math.imul(x, 1103515245) + 12345) >>> 0;
            const j = x % (i + 1);
            [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
          }
          for (const v of nodes) {
            const levels = lattice.levels(v);
            sameResult(rolled.evaluate(levels), direct.evaluate(levels), String([...levels]));
          }
          // The top node lies above every cached node, so with a cache it always rolls up.
          const top = lattice.levels(lattice.size - 1);
          sameResult(rolled.evaluate(top), direct.evaluate(top), 'top');
          if (options.cacheEntries! > 0 && rolled.bottomTuples > 1) {
            assert.ok(rolled.rolledUp > 0, 'some nodes were rolled up from a cached node');
            assert.ok(
              rolled.grouped < direct.grouped,
              `${rolled.grouped} vs ${direct.grouped} entries grouped`,
            );
          } else assert.equal(rolled.rolledUp, 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is off when a hierarchy is not a tree, and checks stay exact', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      age: String(20 + i),
      a: `v${i % 8}`,
      b: `v${(i >> 3) % 8}`,
    }));
    const tree = encodeRows(rows, qis);
    // Give p0 (level 1 of "a") two parents: v0 -> q0 but v1 -> q1, so classes can split upwards.
    const a = tree.qis[1]!;
    const level2 = Int32Array.from(a.levelMap[2]!);
    const v1 = a.labels[0]!.indexOf('v1');
    const q1 = a.labels[2]!.indexOf('q1');
    assert.ok(v1 >= 0 && q1 >= 0);
    level2[v1] = q1;
    const odd = {
      ...tree,
      qis: [
        tree.qis[0]!,
        { ...a, levelMap: [a.levelMap[0]!, a.levelMap[1]!, level2, a.levelMap[3]!] },
        tree.qis[2]!,
      ],
    };
    const checks = prepareChecks([{ kind: 'k-anonymity', k: 3 }], odd);
    const checker = new NodeChecker(odd, checks, 3, 0.1, 'loss');
    assert.equal(checker.rollUp, false);
    assert.equal(new NodeChecker(tree, checks, 3, 0.1, 'loss').rollUp, true);
    const direct = new NodeChecker(odd, checks, 3, 0.1, 'loss', { rollUp: false, numericKeys: false });
    const lattice = new Lattice(odd.qis.map((qi) => qi.height));
    for (let v = lattice.size - 1; v >= 0; v--)
      sameResult(checker.evaluate(lattice.levels(v)), direct.evaluate(lattice.levels(v)));
    assert.equal(checker.rolledUp, 0);
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
