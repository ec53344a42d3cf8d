// FHIR layer throughput on the Synthea fixtures, one thread, warm:
//  - structural validation (official R4 JSON schema compiled per type by ajv), resources/s;
//  - transaction planning (validate + urn:uuid binding), resources/s;
//  - streaming NDJSON and Bundle-entry parsing, resources/s and MB/s.
import { Readable } from 'node:stream';
import { FhirValidator, bindPlan, planBundle, readBundleEntries, readNdjson } from '../src/fhir/index.js';
import { SYNTHEA_MISSING, syntheaAvailable, syntheaBundles } from '../src/fhir/testing.js';
import { quick, writeResult, type Metric } from './lib/report.js';

if (!syntheaAvailable()) {
  console.log(`notice: ${SYNTHEA_MISSING}; fhir bench skipped`);
  process.exit(0);
}

const bundles = syntheaBundles();
const resources = bundles.flatMap(({ bundle }) =>
  (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])),
);
const runs = quick ? 2 : 7;
const minMs = quick ? 200 : 1500;

/** Repeats `pass` until `minMs` elapsed; returns units per second. */
function rate(units: number, pass: () => void): number {
  let done = 0;
  const start = performance.now();
  do {
    pass();
    done += units;
  } while (performance.now() - start < minMs);
  return done / ((performance.now() - start) / 1000);
}

async function asyncRate(units: number, pass: () => Promise<void>): Promise<number> {
  let done = 0;
  const start = performance.now();
  do {
    await pass();
    done += units;
  } while (performance.now() - start < minMs);
  return done / ((performance.now() - start) / 1000);
}

const validator = new FhirValidator();
// Warm: compile every type's validator and let the JIT settle.
for (let i = 0; i < 3; i++) for (const r of resources) validator.validate(r);

const validation: number[] = [];
for (let i = 0; i < runs; i++) {
  validation.push(
    rate(resources.length, () => {
      for (const r of resources)
        if (!validator.validate(r, { expectedType: r.resourceType }).valid) throw new Error('invalid');
    }),
  );
}

const texts = bundles.map(({ bundle }) => JSON.stringify(bundle));
let n = 0;
const newId = () => `id${++n}`;
const planning: number[] = [];
for (let i = 0; i < runs; i++) {
  planning.push(
    rate(resources.length, () => {
      // Parsing is part of it: the plan takes ownership of (and rewrites) the bundle it is given.
      for (const text of texts) bindPlan(planBundle(JSON.parse(text), { newId, validator }));
    }),
  );
}

const ndjson = Buffer.from(resources.map((r) => JSON.stringify(r)).join('\n'));
const chunked = (bytes: Buffer) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 64 * 1024) parts.push(bytes.subarray(at, at + 64 * 1024));
  return parts;
};
const ndjsonChunks = chunked(ndjson);
const ndjsonRate: number[] = [];
for (let i = 0; i < runs; i++) {
  ndjsonRate.push(
    await asyncRate(resources.length, async () => {
      let count = 0;
      for await (const item of readNdjson(Readable.from(ndjsonChunks))) if ('resource' in item) count++;
      if (count !== resources.length) throw new Error('lost resources');
    }),
  );
}

const bundleBytes = Buffer.from(texts.join(''));
const bundleChunks = texts.map((t) => chunked(Buffer.from(t)));
const bundleRate: number[] = [];
for (let i = 0; i < runs; i++) {
  bundleRate.push(
    await asyncRate(bundleBytes.length / 1e6, async () => {
      for (const parts of bundleChunks) for await (const _event of readBundleEntries(Readable.from(parts)));
    }),
  );
}

const metrics: Metric[] = [
  { name: 'validate_resources_per_s', runs: validation, budget: { op: '>=', value: 11_700 } },
  { name: 'plan_transaction_resources_per_s', runs: planning },
  { name: 'ndjson_parse_resources_per_s', runs: ndjsonRate },
  { name: 'bundle_stream_mb_per_s', runs: bundleRate },
];
writeResult('fhir', metrics, {
  notes: {
    resources: resources.length,
    bundles: bundles.length,
    ndjsonMB: Number((ndjson.length / 1e6).toFixed(2)),
    threads: 1,
  },
});
