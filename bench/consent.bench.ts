/**
 * Consent benchmarks: evaluation with the patient's consent compiled and the answer memoized
 * (what guard pays per request), the same with 10,000 rules for one patient, an unmemoized
 * decision over those 10,000 rules, and loading + compiling them after a change.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsentService, consentMigrations, type ConsentQuery, type RawRule } from '../src/consent/index.js';
import { cryptoMigrations, LocalKeyring } from '../src/crypto/index.js';
import { getScheme } from '../src/classify/index.js';
import type { OrgId, TenantId, UserId } from '../src/core/index.js';
import type { Principal } from '../src/identity/index.js';
import { migrateToLatest, openStore } from '../src/store/index.js';
import { quick, writeResult, type Metric } from './lib/report.js';

const TENANT = 'bench' as TenantId;
const runs = quick ? 3 : 15;
const callsPerRun = quick ? 20_000 : 200_000;
const BIG = 10_000;

const patientActor = (patient: string) => ({
  principal: {
    tenantId: TENANT,
    userId: `u-${patient}` as UserId,
    username: patient,
    kind: 'person',
    orgId: 'org-h' as OrgId,
    roles: ['patient'],
    qualifications: [],
    department: null,
    patientRef: `Patient/${patient}`,
    credentialId: patient,
    purposeOfUse: null,
  } satisfies Principal,
});

/** A seeded generator, so every run weighs the same rules. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PURPOSES = ['HRESCH', 'TREAT', 'HPAYMT', 'HOPERAT', 'PUBHLTH', 'ai-training'];
const LABELS = ['HIV', 'PSY', 'ETH', 'GDIS', 'R'];
const CATEGORIES = ['health-status', 'medical-application', 'personal-attribute'];

function manyRules(n: number): RawRule[] {
  const next = random(42);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const recipientKind = pick(['organization', 'project', 'agreement', 'organization-type', 'any'] as const);
    const recipient =
      recipientKind === 'any'
        ? { kind: 'any' }
        : recipientKind === 'organization-type'
          ? { kind: recipientKind, values: [pick(['hospital', 'research-institute'])] }
          : { kind: recipientKind, values: [`${recipientKind}-${Math.floor(next() * 2000)}`] };
    return {
      effect: next() < 0.5 ? 'grant' : 'deny',
      ...(next() < 0.8 ? { purposes: [pick(PURPOSES)] } : {}),
      ...(next() < 0.2 ? { labels: [pick(LABELS)] } : {}),
      ...(next() < 0.2 ? { categories: [pick(CATEGORIES)] } : {}),
      ...(next() < 0.2 ? { grades: [pick(['grade-1', 'grade-2', 'grade-3'])] } : {}),
      recipient,
      ...(next() < 0.3
        ? { period: { start: start + (i % 365) * 86_400_000, end: start + (400 + (i % 365)) * 86_400_000 } }
        : {}),
    } as RawRule;
  });
}

const typical: RawRule[] = [
  { effect: 'deny', purposes: ['HRESCH'] },
  { effect: 'grant', purposes: ['HRESCH'], recipient: { kind: 'project', values: ['project-7'] } },
  { effect: 'deny', labels: ['HIV'] },
  { effect: 'grant', purposes: ['ai-training'], period: { start: '2026-01-01', end: '2027-01-01' } },
  { effect: 'deny', purposes: ['TREAT'], recipient: { kind: 'organization', values: ['organization-9'] } },
];

/** Median per-call time (µs) of `runs` batches of `calls` calls. */
async function perCall(calls: number, fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn(i);
    out.push(((performance.now() - t0) * 1000) / calls);
  }
  return out;
}

function perCallSync(calls: number, fn: (i: number) => unknown): number[] {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    out.push(((performance.now() - t0) * 1000) / calls);
  }
  return out;
}

const dataDir = mkdtempSync(join(tmpdir(), 'custodia-consent-bench-'));
const store = await openStore({ dataDir });
await migrateToLatest(store, [...cryptoMigrations, ...consentMigrations]);
const keys = await LocalKeyring.open({ dataDir, masterKey: randomBytes(32) });
const service = new ConsentService({
  store,
  tenant: TENANT,
  scheme: getScheme('seed-3-grade'),
  keys,
  issuer: 'https://bench.custodia.example',
  // The default 60 s would expire the compiled consents in the middle of a run.
  cacheTtlMs: 3_600_000,
  organizationType: async (org) => (org.startsWith('ri') ? 'research-institute' : 'hospital'),
});
const loadBefore = loadavg();

await service.addRules(patientActor('p-typical'), 'p-typical', typical);
const q = (patient: string, organization: string, project?: string): ConsentQuery => ({
  patient,
  labels: ['health-status'],
  grade: 'seed-3-grade:grade-2',
  purpose: 'research',
  recipient: { organization, organizationType: 'research-institute', ...(project ? { project } : {}) },
});
const typicalQuery = q('p-typical', 'ri-1', 'project-7');
if (!(await service.evaluate(typicalQuery)).permit)
  throw new Error('the typical consent should permit project-7');

const tBig = performance.now();
await service.addRules(patientActor('p-big'), 'p-big', manyRules(BIG));
const writeBigMs = performance.now() - tBig;
const bigQuery = q('p-big', 'organization-5', 'project-11');
await service.evaluate(bigQuery);

const cachedTypicalAsync = await perCall(callsPerRun, () => service.evaluate(typicalQuery));
const cachedTypicalSync = perCallSync(callsPerRun, () => {
  if (!service.evaluateCached(typicalQuery)) throw new Error('the typical consent fell out of the cache');
});
const cachedBigAsync = await perCall(callsPerRun, () => service.evaluate(bigQuery));
// Unmemoized: every call names a recipient never asked about before, so the memo cannot answer
// (a fresh request shape is a full decision: index by recipient and purpose, then precedence).
let fresh = 0;
await service.evaluate(bigQuery);
const uncachedBig = perCallSync(quick ? 2000 : 8192, () => {
  const n = fresh++;
  const query = q('p-big', `organization-${n % 2000}-${n}`, `project-${n % 2000}`);
  if (!service.evaluateCached(query)) throw new Error('the big consent fell out of the cache');
});

// Load + compile after a change elsewhere: what the first request after a revocation pays.
const compileRuns: number[] = [];
for (let r = 0; r < (quick ? 2 : 5); r++) {
  service.useScheme(service.scheme);
  const t0 = performance.now();
  await service.evaluate(bigQuery);
  compileRuns.push(performance.now() - t0);
}

const metrics: Metric[] = [
  { name: 'cached_evaluation_us', runs: cachedTypicalAsync, budget: { op: '<=', value: 5 } },
  { name: 'cached_evaluation_sync_us', runs: cachedTypicalSync, budget: { op: '<=', value: 5 } },
  { name: 'cached_evaluation_10k_rules_us', runs: cachedBigAsync, budget: { op: '<=', value: 5 } },
  { name: 'unmemoized_decision_10k_rules_us', runs: uncachedBig },
  { name: 'load_and_compile_10k_rules_ms', runs: compileRuns },
];
writeResult('consent', metrics, {
  loadAverage1m: { before: loadBefore[0], after: loadavg()[0] },
  notes: {
    typicalRules: typical.length,
    bigRules: BIG,
    writeBigConsentMs: writeBigMs,
    callsPerRun,
    cached:
      'service.evaluate with the consent compiled and the answer memoized (async call) and evaluateCached (sync)',
    unmemoized:
      'a decision over 10,000 rules for a request shape the memo has not seen (index by purpose, then scan)',
  },
});
await store.close();
rmSync(dataDir, { recursive: true, force: true });
