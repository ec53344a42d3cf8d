/**
 * De-identification benchmarks:
 * - record-level operators, cells per second on one core (budget >= 1,000,000);
 * - optimal k-anonymity (k = 5, generalization loss) on an Adult-like table of 30,000 rows x 8
 *   quasi-identifiers, at 0% and 5% suppression (budget <= 2 s; ARX 3.9 Flash ~0.1 s / ~0.9 s);
 * - local recoding on the same table, for comparison;
 * - peak memory (resident set size).
 */
import { loadavg } from 'node:os';
import { resourceUsage } from 'node:process';
import { makeResidentId } from '../src/core/index.js';
import type { CellOperator, OperatorSpec } from '../src/deid/index.js';
import { ageHierarchy, anonymize, compileOperator, encodeRows } from '../src/deid/index.js';
import { ADULT_QIS, adultHierarchies, adultRows } from './deid-adult.js';
import { quick, writeResult } from './lib/report.js';

const runs = quick ? 1 : 5;
// The machine is shared: the load average says how much of it this run had.
const loadAtStart = loadavg()[0]!;
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
// Operators are compiled afresh for every run, as `runDeid` does once per file: the memos
// (pseudonyms, per-patient shifts) start cold each time. Every record is a different patient
// (all MRNs distinct), so the two keyed operators compute one HMAC-SHA-256 per cell and the
// memos cannot help: the worst case for them. The mix is 8 fields, one cell each per record:
// 4 format-aware masks (Chinese name, resident ID, mobile, address), a birth date to year with
// the 89+ collapse, an age to 10-year bands through the hierarchy, an HMAC pseudonym and a
// per-patient date shift.
const compileAll = (): [string, CellOperator][] =>
  plan.map(([f, spec]) => [f, compileOperator(spec, env, `fields.${f}`)]);
// Wall-clock rate (the budget's figure) and, beside it, cells per second of this process's CPU
// time (all its threads, GC included): on a shared machine the second says what one core does
// when it is not taken away, the first what this run got.
const cpuRates: number[] = [];
const passOver = (rows: readonly (typeof records)[number][]): number => {
  const ops = compileAll();
  let sink = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const ctx = { patientKey: r.mrn };
    for (const [f, op] of ops) sink += op(r[f as keyof typeof r], ctx)?.length ?? 0;
  }
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (sink === 0) throw new Error('operators produced nothing');
  cpuRates.push((rows.length * ops.length) / ((c.user + c.system) / 1e6));
  return (rows.length * ops.length) / s;
};
const cellRates: number[] = [];
for (let run = 0; run < runs; run++) {
  gc?.();
  cellRates.push(passOver(records));
}
const cellCpuRates = cpuRates.splice(0);
// The same records with five rows per patient (MRN and patient repeat), the usual shape of
// encounter or observation tables: the memos answer four HMACs in five.
const repeated = records.map((r, i) => ({ ...r, mrn: `MRN${Math.floor(i / 5)}` }));
const repeatedRates: number[] = [];
for (let run = 0; run < runs; run++) {
  gc?.();
  repeatedRates.push(passOver(repeated));
}
const perOperator: Record<string, number> = {};
for (const [f, op] of compileAll()) {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = records[i]!;
    op(r[f as keyof typeof r], { patientKey: r.mrn });
  }
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
// CPU seconds of the same runs (the search is single-threaded): what one core needs when the
// machine is shared and wall time includes waiting for it.
const cpuTimings: Record<string, number[]> = { s0: [], s5: [] };
const details: Record<string, unknown> = {};
for (let run = 0; run < runs; run++) {
  for (const [name, limit] of [
    ['s0', 0],
    ['s5', 0.05],
  ] as const) {
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = anonymize(table, { criteria, suppressionLimit: limit, metric: 'loss' });
    timings[name]!.push((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(c0);
    cpuTimings[name]!.push((cpu.user + cpu.system) / 1e6);
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
    { name: 'operator_cells_per_cpu_s', runs: cellCpuRates },
    { name: 'operator_cells_per_s_5_rows_per_patient', runs: repeatedRates },
    { name: 'kanon_adult30k_8qi_k5_s0_s', runs: timings.s0!, budget: { op: '<=', value: 2 } },
    { name: 'kanon_adult30k_8qi_k5_s5_s', runs: timings.s5!, budget: { op: '<=', value: 2 } },
    { name: 'kanon_adult30k_8qi_k5_s0_cpu_s', runs: cpuTimings.s0! },
    { name: 'kanon_adult30k_8qi_k5_s5_cpu_s', runs: cpuTimings.s5! },
    { name: 'local_recoding_adult30k_k5_s', runs: timings.local! },
    { name: 'peak_rss_mib', runs: [maxRssMiB] },
    { name: 'heap_used_mib', runs: [process.memoryUsage().heapUsed / 2 ** 20] },
  ],
  {
    loadAverage1m: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
    operatorsPerSecond: perOperator,
    operatorMix: plan.map(([f, spec]) => `${f}: ${spec.op}${'format' in spec ? ` ${spec.format}` : ''}`),
    adult: details,
    rows: ROWS,
    cellsPerRun: N * plan.length,
  },
);
