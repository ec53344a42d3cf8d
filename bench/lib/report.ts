import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

/** The machine a figure was measured on: figures from different machines are not comparable. */
export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Others' work on a shared machine lowers every figure: say how busy it was at the end.
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export interface Metric {
  /** What was measured, with its unit in the name: `appends_per_s`, `p99_ms`. */
  name: string;
  /** One value per run; the median is what the docs quote. */
  runs: number[];
  /** The budget from DESIGN.md, where there is one. */
  budget?: { op: '>=' | '<='; value: number };
}

/** True when the bench was started with --quick: fewer, shorter runs, for checking that it works. */
export const quick = process.argv.includes('--quick') || process.env.CUSTODIA_BENCH_QUICK === '1';

/** Writes `bench/results/<name>.json` with the machine, the date and each metric's median. */
export function writeResult(name: string, metrics: Metric[], notes: Record<string, unknown> = {}): string {
  const dir = join(import.meta.dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const result = {
    benchmark: name,
    date: new Date().toISOString(),
    machine: machine(),
    quick,
    // A metric with no runs (e.g. nothing was left to fill) is left out rather than written as NaN.
    metrics: metrics
      .filter((m) => m.runs.length > 0)
      .map((m) => {
        const med = median(m.runs);
        const withinBudget = m.budget
          ? m.budget.op === '>='
            ? med >= m.budget.value
            : med <= m.budget.value
          : undefined;
        return { name: m.name, median: med, runs: m.runs, budget: m.budget, withinBudget };
      }),
    ...notes,
  };
  const file = join(dir, `${name}${quick ? '.quick.tmp' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  for (const m of result.metrics) {
    const budget = m.budget
      ? ` (budget ${m.budget.op} ${m.budget.value}: ${m.withinBudget ? 'met' : 'MISSED'})`
      : '';
    console.log(`${name} ${m.name}: median ${round(m.median)}${budget}`);
  }
  return file;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Number(n.toPrecision(4)));
