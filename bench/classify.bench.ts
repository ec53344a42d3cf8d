// Classification benchmarks: FHIR labelling (resources/s over the Synthea fixtures, read in place),
// free-text PHI detection (characters/s) and CSV discovery on a generated 1,000,000-row file
// streamed through the parser (rows/s and peak memory, to show memory stays flat).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { makeResidentId } from '../src/core/index.js';
import {
  detectPhi,
  discoverCsv,
  evaluatePhi,
  getScheme,
  loadPhiCorpus,
  phiDetector,
  relabel,
  type FhirResource,
} from '../src/classify/index.js';
import { quick, writeResult, type Metric } from './lib/report.js';

const runs = quick ? 2 : 5;
const metrics: Metric[] = [];
const notes: Record<string, unknown> = {};
const gc = (globalThis as { gc?: () => void }).gc;

// ---- labelling --------------------------------------------------------------------------------
const SYNTHEA = join(import.meta.dirname, '..', '..', 'shared', 'data', 'synthea');
if (existsSync(SYNTHEA)) {
  const resources: FhirResource[] = [];
  for (const f of readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')))
    for (const e of (
      JSON.parse(readFileSync(join(SYNTHEA, f), 'utf8')) as { entry: { resource: FhirResource }[] }
    ).entry)
      resources.push(e.resource);
  const scheme = getScheme('seed-3-grade');
  for (const r of resources) relabel(r, scheme); // warm up
  const perSecond: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    for (let rep = 0; rep < (quick ? 2 : 5); rep++) for (const r of resources) relabel(r, scheme);
    perSecond.push((resources.length * (quick ? 2 : 5)) / ((performance.now() - t) / 1000));
  }
  metrics.push({ name: 'label_resources_per_s', runs: perSecond });
  notes.labelling = {
    resources: resources.length,
    scheme: scheme.id,
    what: 'labelResource + applyLabels per resource',
  };
} else {
  console.log(`notice: skipping labelling benchmark: no Synthea data at ${SYNTHEA}`);
}

// ---- PHI detection ----------------------------------------------------------------------------
const corpus = [...loadPhiCorpus('dev'), ...loadPhiCorpus('heldout')];
const text = corpus.map((s) => s.text).join('\n');
const repeated = text.repeat(Math.ceil((quick ? 200_000 : 2_000_000) / text.length));
detectPhi(text);
const chars: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  detectPhi(repeated);
  chars.push(repeated.length / ((performance.now() - t) / 1000));
}
metrics.push({ name: 'phi_chars_per_s', runs: chars });
const figures = (split: 'dev' | 'heldout') => {
  const e = evaluatePhi(loadPhiCorpus(split), phiDetector);
  return { sentences: e.sentences, overall: e.overall, exact: e.exact, byType: e.byType, byLang: e.byLang };
};
notes.phiEvaluation = {
  matching:
    'a finding counts when it overlaps a gold span of the same type; `exact` also needs equal boundaries',
  dev: figures('dev'),
  heldout: figures('heldout'),
};

// ---- discovery on a generated CSV --------------------------------------------------------------
const SURNAMES = '王李张刘陈杨黄赵吴周';
const GIVEN = ['伟', '秀英', '娜', '敏', '静', '建国', '丽', '强'];
function* csv(rows: number): Generator<string> {
  yield '姓名,身份证号,手机号,住址,出生日期,病案号,诊断编码,体重\n';
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const birth = `19${50 + (i % 49)}-0${1 + (i % 9)}-1${i % 9}`;
    chunk += `${SURNAMES[i % 10]}${GIVEN[i % 8]},${makeResidentId('110108', birth, i % 999)},13${i % 10}${String(10_000_000 + (i % 89_999_999)).slice(-8)},北京市海淀区中关村大街${i % 200}号,${birth},MR${100_000 + i},${i % 50 === 0 ? 'B20.x00' : 'I10.x00'},${50 + (i % 40)}\n`;
    if (i % 1000 === 999) {
      sampleMemory();
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

// Sampled by the generator as it hands out each 1,000-row chunk: the parse loop runs in
// microtasks, so a timer would never get a turn.
let peakRss = 0;
let peakHeap = 0;
function sampleMemory() {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}

async function discoverWithPeak(rows: number) {
  gc?.();
  const base = process.memoryUsage();
  peakRss = base.rss;
  peakHeap = base.heapUsed;
  const t = performance.now();
  const report = await discoverCsv(Readable.from(csv(rows)));
  const seconds = (performance.now() - t) / 1000;
  gc?.();
  const retainedMiB = (process.memoryUsage().heapUsed - base.heapUsed) / 2 ** 20;
  return {
    report,
    rowsPerS: rows / seconds,
    seconds,
    peakRssMiB: peakRss / 2 ** 20,
    heapGrowthMiB: (peakHeap - base.heapUsed) / 2 ** 20,
    retainedMiB,
  };
}

const big = quick ? 100_000 : 1_000_000;
const small = await discoverWithPeak(big / 10);
const large = await discoverWithPeak(big);
metrics.push({ name: 'discovery_rows_per_s', runs: [large.rowsPerS] });
metrics.push({ name: `discovery_peak_rss_mib_${big}_rows`, runs: [large.peakRssMiB] });
metrics.push({ name: `discovery_heap_growth_mib_${big}_rows`, runs: [large.heapGrowthMiB] });
metrics.push({ name: `discovery_heap_growth_mib_${big / 10}_rows`, runs: [small.heapGrowthMiB] });
metrics.push({ name: `discovery_retained_heap_mib_${big}_rows`, runs: [large.retainedMiB] });
notes.discovery = {
  rows: big,
  columns: large.report.columns.map((c) => ({
    header: c.header,
    type: c.proposedType,
    confidence: c.confidence,
    grade: c.grade.grade,
  })),
  memory:
    'peak heap is sampled every 1,000 rows against the heap before the run (garbage included, so it saws up and down); flat memory means the 10x larger file does not grow it 10x',
};

const file = writeResult('classify', metrics, notes);
console.log(`wrote ${file}`);
