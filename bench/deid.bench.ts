/**
 * De-identification benchmarks:
 * - record-level operators, cells per second on one core (budget >= 1,000,000);
 * - optimal k-anonymity (k = 5, generalization loss) on an Adult-like table of 30,000 rows x 8
 *   quasi-identifiers, at 0% and 5% suppression (budget <= 2 s; ARX 3.9 Flash ~0.1 s / ~0.9 s);
 * - local recoding on the same table, for comparison;
 * - peak memory (resident set size).
 */
import { resourceUsage } from 'node:process';
import { makeResidentId } from '../src/core/index.js';
import type { CellOperator, OperatorSpec } from '../src/deid/index.js';
import { ageHierarchy, anonymize, compileOperator, encodeRows } from '../src/deid/index.js';
import { ADULT_QIS, adultHierarchies, adultRows } from './deid-adult.js';
import { quick, writeResult } from './lib/report.js';

const runs = quick ? 1 : 5;
const gc = (globalThis as { gc?: () => void }).gc;

// --- record-level operators -------------------------------------------------------------------
const N = quick ? 20_000 : 200_000;
const surnames = ['张', '王', '李', '赵', '欧阳', '刘', '陈', '司马'];
const given = ['伟', '芳', '娜娜', '小明', '秀英', '强', '静', '磊'];
const records = Array.from({ length: N }, (_, i) => ({
  name: surnames[i % 8]! + given[(i * 3) % 8]!,
  resident_id: makeResidentId('110105', `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`, i % 1000),
  phone: `139${String(10_000_000 + ((i * 7919) % 89_999_999))}`,
  address: `广东省深圳市南山区科技园${i % 300}号`,
  birth: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
  age: String(i % 100),
  mrn: `MRN${i}`,
  visit: `2024-0${1 + (i % 9)}-2${i % 10}`,
}));
const env = {
  key: Buffer.alloc(32, 1),
  hierarchies: new Map([['age', ageHierarchy()]]),
  referenceDate: '2026-01-01',
};
const plan: [keyof (typeof records)[number], OperatorSpec][] = [
  ['name', { op: 'mask', format: 'name' }],
  ['resident_id', { op: 'mask', format: 'resident-id' }],
  ['phone', { op: 'mask', format: 'phone' }],
  ['address', { op: 'mask', format: 'address' }],
  ['birth', { op: 'date', grain: 'year', collapseAgeOver: 89 }],
  ['age', { op: 'generalize', hierarchy: 'age', level: '10-year band' }],
  ['mrn', { op: 'pseudonymize', length: 16 }],
  ['visit', { op: 'date-shift', maxDays: 30 }],
];
const ops: [string, CellOperator][] = plan.map(([f, spec]) => [f, compileOperator(spec, env, `fields.${f}`)]);
const cellRates: number[] = [];
const perOperator: Record<string, number> = {};
for (let run = 0; run < runs; run++) {
  gc?.();
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = records[i]!;
    const ctx = { patientKey: r.mrn };
    for (const [f, op] of ops) sink += op(r[f as keyof typeof r], ctx)?.length ?? 0;
  }
  const s = (performance.now() - t0) / 1000;
  cellRates.push((N * ops.length) / s);
  if (sink === 0) throw new Error('operators produced nothing');
}
for (const [f, op] of ops) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) op(records[i]![f as keyof (typeof records)[number]], { patientKey: 'p' });
  perOperator[f] = Math.round(N / ((performance.now() - t0) / 1000));
}

// --- optimal k-anonymity on Adult-like data -------------------------------------------------------
const ROWS = 30_000;
const h = adultHierarchies();
const table = encodeRows(
  adultRows(ROWS),
  ADULT_QIS.map((name) => ({ name, hierarchy: h[name]! })),
  ['salary'],
);
const criteria = [{ kind: 'k-anonymity' as const, k: 5 }];
const timings: Record<string, number[]> = { s0: [], s5: [], local: [] };
const details: Record<string, unknown> = {};
for (let run = 0; run < runs; run++) {
  for (const [name, limit] of [
    ['s0', 0],
    ['s5', 0.05],
  ] as const) {
    gc?.();
    const t0 = performance.now();
    const r = anonymize(table, { criteria, suppressionLimit: limit, metric: 'loss' });
    timings[name]!.push((performance.now() - t0) / 1000);
    details[name] = {
      levels: r.levels,
      checks: r.search?.checks,
      latticeSize: r.search?.latticeSize,
      searchMs: Math.round(r.search?.milliseconds ?? 0),
      generalizationLoss: Number(r.after.utility.generalizationLoss.toFixed(4)),
      suppressedRows: r.after.utility.suppressedRows,
    };
  }
  gc?.();
  const t0 = performance.now();
  const local = anonymize(table, { criteria, recoding: 'local' });
  timings.local!.push((performance.now() - t0) / 1000);
  details.local = {
    generalizationLoss: Number(local.after.utility.generalizationLoss.toFixed(4)),
    classes: local.after.utility.equivalenceClasses,
  };
}

const maxRssMiB = resourceUsage().maxRSS / 1024;
writeResult(
  'deid',
  [
    { name: 'operator_cells_per_s', runs: cellRates, budget: { op: '>=', value: 1_000_000 } },
    { name: 'kanon_adult30k_8qi_k5_s0_s', runs: timings.s0!, budget: { op: '<=', value: 2 } },
    { name: 'kanon_adult30k_8qi_k5_s5_s', runs: timings.s5!, budget: { op: '<=', value: 2 } },
    { name: 'local_recoding_adult30k_k5_s', runs: timings.local! },
    { name: 'peak_rss_mib', runs: [maxRssMiB] },
    { name: 'heap_used_mib', runs: [process.memoryUsage().heapUsed / 2 ** 20] },
  ],
  { operatorsPerSecond: perOperator, adult: details, rows: ROWS, cellsPerRun: N * ops.length },
);
