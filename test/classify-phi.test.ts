import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  detectPhi,
  evaluatePhi,
  loadPhiCorpus,
  phiDetector,
  type PhiEvaluation,
} from '../src/classify/index.js';

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
function report(title: string, e: PhiEvaluation): string[] {
  const lines = [
    `${title}: ${e.sentences} sentences, recall ${pct(e.overall.recall)}, precision ${pct(e.overall.precision)} (exact boundaries: recall ${pct(e.exact.recall)}, precision ${pct(e.exact.precision)})`,
  ];
  for (const [type, s] of Object.entries(e.byType))
    lines.push(
      `  ${type.padEnd(12)} recall ${pct(s.recall)} precision ${pct(s.precision)} (tp ${s.tp}, fn ${s.fn}, fp ${s.fp})`,
    );
  for (const [lang, s] of Object.entries(e.byLang))
    lines.push(`  lang ${lang}      recall ${pct(s.recall)} precision ${pct(s.precision)}`);
  return lines;
}

test('the corpus has at least 200 sentences in both languages, with spans that match their text', () => {
  const all = [...loadPhiCorpus('dev'), ...loadPhiCorpus('heldout')];
  assert.ok(all.length >= 200);
  assert.ok(all.some((s) => s.lang === 'zh') && all.some((s) => s.lang === 'en'));
  for (const s of all) for (const g of s.spans) assert.equal(s.text.slice(g.start, g.end), g.text, s.id);
});

for (const split of ['dev', 'heldout'] as const) {
  test(`PHI detection on the ${split} corpus reaches recall 0.95`, (t) => {
    const e = evaluatePhi(loadPhiCorpus(split), phiDetector);
    // The figures go into the test output (node:test diagnostics) as well as bench/results.
    for (const line of report(split === 'dev' ? 'dev (tuned on)' : 'held-out (never tuned on)', e))
      t.diagnostic(line);
    assert.ok(e.overall.recall >= 0.95, `recall ${e.overall.recall}; missed: ${JSON.stringify(e.misses)}`);
    assert.ok(e.overall.precision >= 0.8, `precision ${e.overall.precision}`);
  });
}

test('offsets are UTF-16 code units, correct after characters outside the BMP', () => {
  const text = '😀😀 患者张伟，电话13812345678，于2024年3月5日就诊。';
  const spans = detectPhi(text);
  assert.deepEqual(
    spans.map((s) => [s.type, s.text]),
    [
      ['name', '张伟'],
      ['phone', '13812345678'],
      ['date', '2024年3月5日'],
    ],
  );
  for (const s of spans) assert.equal(text.slice(s.start, s.end), s.text);
});

test('clinical numbers are not PHI', () => {
  for (const text of [
    '血压130/85 mmHg，心率72次/分。',
    'HbA1c 7.4%, LDL 112 mg/dL, BP 128/82.',
    '给予阿司匹林100mg口服，每日一次，共14天。',
  ])
    assert.deepEqual(detectPhi(text), [], text);
});

test('findings are in order, inside the text, never overlapping, and their text is the slice', () => {
  const piece = fc.constantFrom(
    '患者',
    '王建国',
    '，',
    '电话',
    '13900001111',
    'Dr. ',
    'Emily Chen',
    ' on ',
    'March 5, 2024',
    '北京市海淀区中关村大街27号',
    '在',
    '北京协和医院',
    'x',
    ' ',
    '2024-01-08',
    '\n',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 25 }), (pieces) => {
      const text = pieces.join('');
      const spans = detectPhi(text);
      let last = 0;
      for (const s of spans) {
        assert.ok(s.start >= last && s.end > s.start && s.end <= text.length);
        assert.equal(text.slice(s.start, s.end), s.text);
        last = s.end;
      }
    }),
  );
});
