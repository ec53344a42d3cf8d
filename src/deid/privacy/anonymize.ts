import { deidError } from '../errors.js';
import { NodeChecker } from './checker.js';
import type { PrivacyCriterion } from './criteria.js';
import { kOf, prepareChecks } from './criteria.js';
import type { EncodedTable } from './encode.js';
import { optimalSearch } from './lattice.js';
import { localRecoding } from './local.js';
import type { LossMetric } from './loss.js';
import type { PopulationTable, RiskMeasures, UtilityMeasures } from './measures.js';
import { riskOf, utilityOf } from './measures.js';
import type { Recoding } from './recoding.js';
import { fromLocal, globalRecoding, noRecoding } from './recoding.js';
import type { Verification } from './verify.js';
import { verifyRelease } from './verify.js';

export interface AnonymizeOptions {
  criteria: readonly PrivacyCriterion[];
  /** Share of rows that may be suppressed, 0 to 1 (0.05 = 5%). Global recoding only. */
  suppressionLimit?: number;
  metric?: LossMetric;
  /** global: optimal full-domain generalization; local: hierarchical Mondrian (local.ts). */
  recoding?: 'global' | 'local';
  /** Highest level allowed per QI, in QI order. */
  maxLevels?: readonly number[];
  population?: PopulationTable;
}

export interface AnonymizeResult {
  recoding: Recoding;
  /** The chosen level per QI (global recoding). */
  levels?: number[];
  search?: { latticeSize: number; checks: number; bottomTuples: number; milliseconds: number };
  before: { utility: UtilityMeasures; risk: RiskMeasures };
  after: { utility: UtilityMeasures; risk: RiskMeasures };
  verification: Verification[];
}

/** Chooses and applies a recoding that satisfies the criteria, and measures before and after. */
export function anonymize(table: EncodedTable, options: AnonymizeOptions): AnonymizeResult {
  const limit = options.suppressionLimit ?? 0;
  if (!(limit >= 0 && limit <= 1)) {
    throw deidError(
      `suppression limit must be between 0 and 1 (got ${limit})`,
      `记录抑制上限必须在 0 到 1 之间（当前 ${limit}）`,
      { path: 'privacy.suppressionLimit', hint: 'write 0.05 for 5%' },
    );
  }
  if (table.rows === 0) {
    throw deidError('the table has no rows to anonymize', '数据表没有可处理的记录', { path: 'input' });
  }
  const checks = prepareChecks(options.criteria, table);
  const k = kOf(options.criteria);
  const populationOption = options.population ? { population: options.population } : {};
  const before = {
    utility: utilityOf(table, noRecoding(table.rows)),
    risk: riskOf(table, noRecoding(table.rows), populationOption),
  };
  const started = performance.now();
  let recoding: Recoding;
  let levels: number[] | undefined;
  let search: AnonymizeResult['search'];
  if (options.recoding === 'local') {
    recoding = fromLocal(localRecoding(table, checks, k), table.rows);
  } else {
    const checker = new NodeChecker(table, checks, k, limit, options.metric ?? 'loss');
    const found = optimalSearch(checker, options.maxLevels ? { maxLevels: options.maxLevels } : {});
    levels = found.levels;
    recoding = globalRecoding(checker, found.levels);
    search = {
      latticeSize: found.latticeSize,
      checks: found.checks,
      bottomTuples: checker.bottomTuples,
      milliseconds: performance.now() - started,
    };
  }
  const result: AnonymizeResult = {
    recoding,
    before,
    after: { utility: utilityOf(table, recoding), risk: riskOf(table, recoding, populationOption) },
    verification: verifyRelease(table, recoding, checks, k),
  };
  if (levels) result.levels = levels;
  if (search) result.search = search;
  return result;
}
