import type { OperatorSpec } from '../operators/spec.js';

/** A field's handling: an explicit operator, or an annotation that the profile resolves. */
export type FieldEntry =
  | OperatorSpec
  | { identifier: string }
  | { role: 'direct' | 'quasi' | 'sensitive' | 'other'; format?: string; technique?: string }
  | { grade: string };

export type SensitiveModel =
  | { model: 'distinct-l-diversity'; l: number }
  | { model: 'entropy-l-diversity'; l: number }
  | { model: 't-closeness'; t: number; distance?: 'equal' | 'hierarchical' | 'ordered'; hierarchy?: string };

export interface FhirRule {
  /** `Patient.name`, `Patient.identifier`, `*.effectiveDateTime`, `Observation.valueQuantity.value`. */
  path: string;
  /** Only elements whose members equal these values (e.g. `{ system: "urn:oid:..." }`). */
  where?: Record<string, string>;
  operator: OperatorSpec;
}

/** The de-identification profile as written by a person, in YAML or JSON. */
export interface DeidConfig {
  version: 1;
  profile?: 'custom' | 'hipaa-safe-harbor' | 'gbt-37964' | 'grading';
  description?: string;
  /** Secrets by reference only: `env:NAME` or `file:path`. */
  keys?: { project?: string; tokens?: string };
  referenceDate?: string;
  patientKey?: string;
  /** What happens to input fields the profile does not list. */
  unlisted?: 'error' | 'keep' | 'drop';
  hierarchies?: Record<string, { csv?: string; builtin?: 'age' | 'date' | 'division' | 'zip' | 'flat' }>;
  fields?: Record<string, FieldEntry>;
  /**
   * Profiles from a grading scheme. With `scheme`, columns the profile does not list are graded
   * by discovery and get operators from their grade and identifier type for a release to
   * `release` (default `large`); `handling` overrides per grade, `grades` sets grades by hand.
   * Without `scheme`, `handling` and `grades` say everything.
   */
  grading?: {
    scheme?: string;
    release?: 'minimal' | 'small' | 'medium' | 'large' | 'public';
    handling?: Record<string, OperatorSpec>;
    grades?: Record<string, string>;
  };
  fhir?: { rules?: (Omit<FhirRule, 'operator'> & (OperatorSpec | { identifier: string }))[] };
  privacy?: {
    k?: number;
    suppressionLimit?: number;
    metric?: 'loss' | 'discernibility' | 'entropy';
    recoding?: 'global' | 'local';
    suppressedRows?: 'drop' | 'mask';
    quasiIdentifiers: Record<string, { hierarchy: string; maxLevel?: number | string }>;
    sensitive?: Record<string, SensitiveModel[]>;
    population?: string;
  };
}
