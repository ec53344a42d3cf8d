#!/usr/bin/env node
// Runs the benchmarks in bench/*.bench.ts one after another (never in parallel: they would
// measure each other), each in its own process. `npm run bench -- ledger` runs those whose
// name contains "ledger"; `--quick` makes short runs that only check the benches work.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n# ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `bench/${file}`, ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
