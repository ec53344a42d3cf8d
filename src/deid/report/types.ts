import type { RiskMeasures, UtilityMeasures } from '../privacy/measures.js';
import type { Verification } from '../privacy/verify.js';

/** What a de-identification run did, for people (HTML) and machines (JSON). No data values. */
export interface DeidReport {
  tool: 'custodia-deid';
  reportVersion: 1;
  profile: string;
  format: 'csv' | 'ndjson' | 'fhir-bundle' | 'fhir-ndjson';
  input: string;
  output: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  rows: { read: number; written: number; suppressed: number };
  fields: { name: string; operator: string; role?: string }[];
  droppedFields: string[];
  fhir?: { resources: number; rules: { path: string; operator: string; elements: number }[] };
  privacy?: {
    criteria: string[];
    suppressionLimit: number;
    metric: string;
    recoding: 'global' | 'local';
    levels?: { attribute: string; level: number; name: string }[];
    search?: { latticeSize: number; checks: number; bottomTuples: number; milliseconds: number };
    before: { utility: UtilityMeasures; risk: RiskMeasures };
    after: { utility: UtilityMeasures; risk: RiskMeasures };
    verification: Verification[];
  };
  /** GB/T 37964-2019 process, step by step. */
  process?: { step: string; zh: string; en: string; detail: string }[];
  /** Grading profile: each column's grade (set or discovered), identifier type and handling. */
  grading?: {
    scheme: string;
    release: string;
    fields: {
      name: string;
      grade: string;
      gradeSource: 'profile' | 'discovery';
      identifierType: string;
      operator: string;
      reason: string;
    }[];
  };
  /** HIPAA Safe Harbor: which of the 18 identifiers the profile covers and how. */
  safeHarbor?: { n: number; identifier: string; en: string; zh: string; covered: string[] }[];
}
