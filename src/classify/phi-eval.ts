import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PhiType } from './phi.js';

export interface GoldSentence {
  id: string;
  lang: 'zh' | 'en';
  text: string;
  spans: { start: number; end: number; type: PhiType; text: string }[];
}

/** `dev` was used while writing the detector; `heldout` was written with it but never tuned on. */
export type CorpusSplit = 'dev' | 'heldout';

export function loadPhiCorpus(split: CorpusSplit): GoldSentence[] {
  const file = join(import.meta.dirname, 'phi-corpus', `${split}.jsonl`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as GoldSentence);
}

export interface Scores {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface PhiEvaluation {
  sentences: number;
  /** A finding counts when it overlaps a gold span of the same type. */
  overall: Scores;
  byType: Partial<Record<PhiType, Scores>>;
  /** Boundaries must match exactly as well. */
  exact: Scores;
  byLang: Partial<Record<'zh' | 'en', Scores>>;
  misses: { id: string; type: string; text: string }[];
}

const score = (tp: number, fp: number, fn: number): Scores => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return {
    tp,
    fp,
    fn,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
};

type Span = { start: number; end: number; type: string };

/** Precision and recall of a detector against gold spans, per type, per language and overall. */
export function evaluatePhi(
  corpus: readonly GoldSentence[],
  detect: (text: string) => Span[],
): PhiEvaluation {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const bump = (key: string, field: 'tp' | 'fp' | 'fn') => {
    const c = counts.get(key) ?? { tp: 0, fp: 0, fn: 0 };
    c[field]++;
    counts.set(key, c);
  };
  const misses: PhiEvaluation['misses'] = [];
  const overlaps = (a: Span, b: Span) => a.type === b.type && a.start < b.end && b.start < a.end;
  for (const s of corpus) {
    const predicted = detect(s.text);
    for (const g of s.spans) {
      const hit = predicted.find((p) => overlaps(p, g));
      for (const key of ['all', `type:${g.type}`, `lang:${s.lang}`]) bump(key, hit ? 'tp' : 'fn');
      if (!hit) misses.push({ id: s.id, type: g.type, text: g.text });
      bump('exact', hit && hit.start === g.start && hit.end === g.end ? 'tp' : 'fn');
    }
    for (const p of predicted) {
      if (!s.spans.some((g) => overlaps(p, g)))
        for (const key of ['all', `type:${p.type}`, `lang:${s.lang}`]) bump(key, 'fp');
      if (!s.spans.some((g) => g.type === p.type && g.start === p.start && g.end === p.end))
        bump('exact', 'fp');
    }
  }
  const get = (key: string) => {
    const c = counts.get(key) ?? { tp: 0, fp: 0, fn: 0 };
    return score(c.tp, c.fp, c.fn);
  };
  const byType: PhiEvaluation['byType'] = {};
  const byLang: PhiEvaluation['byLang'] = {};
  for (const key of [...counts.keys()].sort()) {
    if (key.startsWith('type:')) byType[key.slice(5) as PhiType] = get(key);
    if (key.startsWith('lang:')) byLang[key.slice(5) as 'zh' | 'en'] = get(key);
  }
  return { sentences: corpus.length, overall: get('all'), byType, exact: get('exact'), byLang, misses };
}
