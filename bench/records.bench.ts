/**
 * The clinical store, end to end on the embedded SQLite database:
 *  - import rate (NDJSON made by the project's generator, through guard as `custodia import` runs
 *    it: validate, label, index, seal, write, ledger) and peak memory for a file and one 4× larger;
 *  - import rate of the Synthea transaction Bundles;
 *  - governed read by id over HTTP (autocannon on loopback) and, run by run in turn, the same
 *    with guard switched off (a bench-only replacement of guard's read): requests per second, p99
 *    and the server's CPU time per request; guard's cost against the bare store read (fetch +
 *    decrypt) in process;
 *  - search `Observation?patient=…&_count=20` over HTTP once the store holds 1,000,000 resources
 *    (50,000 with --quick; CUSTODIA_BENCH_STORE_SIZE sets another size, recorded in the result).
 */
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createServer, loadConfig, openSystem, type System } from '../src/app/index.js';
import type { OrgId } from '../src/core/index.js';
import { SYNTHEA_DIR, syntheaAvailable } from '../src/fhir/testing.js';
import type { Access } from '../src/guard/index.js';
import { servicePrincipal } from '../src/identity/index.js';
import { DEMO_HOSPITALS, writeNdjsonFile } from '../src/synth/index.js';
import { loadTest } from './lib/load.js';
import { quick, writeResult, type Metric } from './lib/report.js';

const PATIENTS = quick ? 100 : 1000;
// The store size searches run against; CUSTODIA_BENCH_STORE_SIZE overrides it (filling takes a while).
const TARGET_RESOURCES = Number(process.env.CUSTODIA_BENCH_STORE_SIZE ?? (quick ? 50_000 : 1_000_000));
// Many short runs in turn rather than a few long ones: the median of the per-run ratios then
// stands against the bursts of other work this shared machine sees.
const HTTP_RUNS = quick ? 1 : 9;
const HTTP_SECONDS = quick ? 2 : 6;
const CONNECTIONS = 32;

const dir = mkdtempSync(join(tmpdir(), 'custodia-bench-records-'));
// Every clinician of the hospital treats its patients (the open-hospital model): the reads below
// pick records at random, which no single clinician's Encounters would cover.
const config = loadConfig(
  { CUSTODIA_DATA_DIR: join(dir, 'data'), CUSTODIA_CARE_RELATIONSHIP: 'organization' },
  { cwd: dir },
);
const system = await openSystem(config);

/** The CLI's operator: a service principal with local administrator power in one organization. */
const operatorOf = (system: System, orgId: string): Access => ({
  principal: servicePrincipal(system.tenantId, orgId as OrgId, 'bench', ['admin', 'data-steward']),
});

/** Peak resident memory while `work` runs, sampled every 20 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const value = await work();
    return { value, peakMiB: Math.max(peak, process.memoryUsage.rss()) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

let orgs = 0;
let stored = 0;
async function importInto(file: string, format: 'ndjson' | 'bundle' = 'ndjson') {
  const org = await system.directory.createOrganization(system.tenantId, {
    name: `Bench Hospital ${++orgs}`,
    type: 'hospital',
  });
  const access = operatorOf(system, org.id);
  const start = performance.now();
  const { value: result, peakMiB } = await withPeakRss(() =>
    system.guard.import(access, format, createReadStream(file), file, {
      baseUrl: `${config.publicUrl}/fhir`,
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  if (result.failed > 0) throw new Error(`import failed: ${JSON.stringify(result.problems.slice(0, 3))}`);
  stored += result.created;
  return { orgId: org.id, created: result.created, matched: result.matched, seconds, peakMiB };
}

const small = join(dir, 'small.ndjson');
const large = join(dir, 'large.ndjson');
const hospitals = [DEMO_HOSPITALS[0]!];
const smallFile = await writeNdjsonFile(
  { seed: 'bench', patients: PATIENTS, hospitals, sharedFraction: 0 },
  small,
);
const largeFile = await writeNdjsonFile(
  { seed: 'bench-large', patients: 4 * PATIENTS, hospitals, sharedFraction: 0 },
  large,
);
console.log(`files: ${smallFile.resources} and ${largeFile.resources} resources`);

// Warm-up (validators compiled, JIT settled); its organization is the one the reads use.
const first = await importInto(small);
const importRates: number[] = [];
const smallPeaks: number[] = [];
for (let i = 0; i < (quick ? 1 : 3); i++) {
  const run = await importInto(small);
  importRates.push(run.created / run.seconds);
  smallPeaks.push(run.peakMiB);
}
const largeRun = await importInto(large);
importRates.push(largeRun.created / largeRun.seconds);

let synthea: number[] = [];
if (syntheaAvailable()) {
  const files = readdirSync(SYNTHEA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort((a, b) => Number(/^(hospital|practitioner)/.test(b)) - Number(/^(hospital|practitioner)/.test(a)));
  synthea = [];
  for (let run = 0; run < (quick ? 1 : 3); run++) {
    const org = await system.directory.createOrganization(system.tenantId, {
      name: `Synthea ${run}`,
      type: 'hospital',
    });
    const access = operatorOf(system, org.id);
    let created = 0;
    const start = performance.now();
    for (const f of files) {
      const r = await system.guard.import(access, 'bundle', createReadStream(join(SYNTHEA_DIR, f)), f, {
        baseUrl: `${config.publicUrl}/fhir`,
      });
      created += r.created;
    }
    synthea.push(created / ((performance.now() - start) / 1000));
    stored += created;
  }
} else console.log('notice: ../shared/data/synthea not found; Synthea import rate skipped');

// Grow the store to the target size with more organizations' copies of the file.
const fillRates: number[] = [];
while (stored < TARGET_RESOURCES) {
  const run = await importInto(small);
  fillRates.push(run.created / run.seconds);
  if (orgs % 5 === 0) console.log(`  store: ${stored} resources`);
}
console.log(`store: ${stored} resources`);

// Reads as a clinician of the first organization.
const db = system.records.db;
const sample = async (type: string) =>
  (
    await db
      .selectFrom('rec_resource')
      .select('id')
      .where('tenant_id', '=', system.tenantId)
      .where('org_id', '=', first.orgId)
      .where('resource_type', '=', type)
      .limit(1000)
      .execute()
  ).map((r) => r.id);
const observationIds = await sample('Observation');
const patientIds = await sample('Patient');
await system.directory.createUser(system.tenantId, {
  username: 'bench-clinician',
  orgId: first.orgId,
  roles: ['clinician'],
  qualifications: [{ type: 'practising-licence', value: '110105000000001' }],
  password: 'bench-password-1',
});
const pair = await system.authenticator.login(
  system.tenantId,
  'bench-clinician',
  'bench-password-1',
  '127.0.0.1',
  'TREAT',
);
const principal = await system.authenticator.verifyAccessToken(pair.access_token);
const clinician: Access = { principal, purpose: 'TREAT' };

// Guard against the bare store read, in process: the same fetch and decrypt with and without it,
// by CALLERS concurrent callers (as the HTTP server has them), as CPU time per read. One caller at
// a time would measure mostly the wait for each entry's fsync, not what guard costs.
const CALLERS = 32;
async function perReadCpuMicros(read: (id: string) => Promise<unknown>): Promise<number> {
  const n = quick ? 4000 : 40_000;
  let next = 0;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < n) await read(observationIds[next++ % observationIds.length]!);
    }),
  );
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}
const guarded: number[] = [];
const bare: number[] = [];
for (let run = 0; run < (quick ? 1 : 5); run++) {
  bare.push(
    await perReadCpuMicros(async (id) =>
      system.records.open((await system.records.current('Observation', id))!),
    ),
  );
  guarded.push(await perReadCpuMicros((id) => system.guard.read(clinician, 'Observation', id)));
}

const app = await createServer(system, createLogger('silent'));
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
/** One load run: requests per second, p99 latency, and the server's CPU time per request. */
async function loadRun(paths: string[]): Promise<{ rps: number; p99: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const r = await loadTest({
    url: base,
    paths,
    connections: CONNECTIONS,
    seconds: HTTP_SECONDS,
    headers: { authorization: `Bearer ${pair.access_token}` },
  });
  // Every thread of this process (the ledger's writer thread too); the load generator runs apart.
  const used = process.cpuUsage(cpu);
  return { ...r, cpuMicros: (used.user + used.system) / (r.rps * HTTP_SECONDS) };
}
interface Series {
  rps: number[];
  p99: number[];
  cpuMicros: number[];
}
const series = (): Series => ({ rps: [], p99: [], cpuMicros: [] });
const add = (to: Series, r: { rps: number; p99: number; cpuMicros: number }) => {
  to.rps.push(r.rps);
  to.p99.push(r.p99);
  to.cpuMicros.push(r.cpuMicros);
};

// Governed reads and the same reads with guard switched off, run by run in turn so that both see
// the same machine. Guard off is a bench-only replacement of guard's read on this instance (fetch
// and decrypt, no decision, no obligations, no ledger entry); production code has no such switch.
const readPaths = observationIds.map((id) => `/fhir/Observation/${id}`);
const guardedRead = system.guard.read.bind(system.guard);
const ungovernedRead: typeof guardedRead = async (_access, type, id) => {
  const version = (await system.records.current(type, id))!;
  return { json: await system.records.open(version), version };
};
// Untimed first: the ledger's query indexes caught up with the fill's entries (the indexer would
// otherwise do it on the writer thread during the first runs), and one run of each kind warming
// the page cache and the JIT.
await system.ledger.updateIndex();
await loadRun(readPaths);
system.guard.read = ungovernedRead;
await loadRun(readPaths);
system.guard.read = guardedRead;
const reads = series();
const ungoverned = series();
for (let run = 0; run < HTTP_RUNS; run++) {
  add(reads, await loadRun(readPaths));
  system.guard.read = ungovernedRead;
  add(ungoverned, await loadRun(readPaths));
  system.guard.read = guardedRead;
}
const searches = series();
for (let run = 0; run < HTTP_RUNS; run++)
  add(searches, await loadRun(patientIds.map((id) => `/fhir/Observation?patient=${id}&_count=20`)));
await app.close();
await system.close();
rmSync(dir, { recursive: true, force: true });

const metrics: Metric[] = [
  { name: 'import_ndjson_created_per_s', runs: importRates, budget: { op: '>=', value: 30_000 } },
  { name: 'import_ndjson_created_per_s_while_filling', runs: fillRates },
  { name: 'import_synthea_bundles_created_per_s', runs: synthea },
  { name: 'import_peak_rss_mib_small_file', runs: smallPeaks },
  { name: 'import_peak_rss_mib_4x_file', runs: [largeRun.peakMiB] },
  { name: 'read_by_id_http_req_per_s', runs: reads.rps, budget: { op: '>=', value: 5000 } },
  { name: 'read_by_id_http_p99_ms', runs: reads.p99, budget: { op: '<=', value: 25 } },
  { name: 'read_by_id_http_guard_off_req_per_s', runs: ungoverned.rps },
  { name: 'read_by_id_http_guard_off_p99_ms', runs: ungoverned.p99 },
  {
    name: 'read_by_id_http_governed_cost_ratio',
    runs: reads.rps.map((r, i) => ungoverned.rps[i]! / r),
    budget: { op: '<=', value: 1.5 },
  },
  { name: 'read_by_id_http_cpu_us_per_request', runs: reads.cpuMicros },
  { name: 'read_by_id_http_guard_off_cpu_us_per_request', runs: ungoverned.cpuMicros },
  {
    name: 'read_by_id_http_governed_cpu_ratio',
    runs: reads.cpuMicros.map((c, i) => c / ungoverned.cpuMicros[i]!),
  },
  // Guard's whole cost (decision, obligations, the durable ledger entry, both threads' CPU)
  // against a bare fetch and decrypt in process: what the HTTP ratio above hides under the HTTP work.
  { name: 'read_by_id_in_process_guarded_cpu_us', runs: guarded },
  { name: 'read_by_id_in_process_bare_cpu_us', runs: bare },
  { name: 'read_guard_cpu_ratio_in_process', runs: guarded.map((g, i) => g / bare[i]!) },
  {
    name: 'search_patient_observations_http_req_per_s',
    runs: searches.rps,
    budget: { op: '>=', value: 1000 },
  },
  { name: 'search_patient_observations_http_p99_ms', runs: searches.p99, budget: { op: '<=', value: 50 } },
  { name: 'search_patient_observations_http_cpu_us_per_request', runs: searches.cpuMicros },
];
writeResult('records', metrics, {
  storedResources: stored,
  files: { small: smallFile, large: largeFile },
  connections: CONNECTIONS,
  secondsPerRun: HTTP_SECONDS,
});
