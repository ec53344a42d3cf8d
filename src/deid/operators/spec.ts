import type { NoiseMechanism } from './noise.js';

/** One record-level operator, as written in a profile (YAML or JSON). */
export type OperatorSpec =
  | { op: 'keep' }
  | { op: 'redact'; replacement?: string; remove?: boolean }
  | {
      op: 'mask';
      format: 'name' | 'resident-id' | 'phone' | 'email' | 'address' | 'middle';
      keepStart?: number;
      keepEnd?: number;
      maskChar?: string;
    }
  | { op: 'generalize'; hierarchy: string; level: number | string }
  | { op: 'date'; grain: 'month' | 'year'; collapseAgeOver?: number }
  | { op: 'zip3' }
  | { op: 'pseudonymize'; length?: number; prefix?: string }
  | { op: 'tokenize' }
  | { op: 'date-shift'; maxDays: number }
  | { op: 'top-code'; max: number }
  | { op: 'noise'; mechanism: NoiseMechanism; scale: number; decimals?: number; seed?: number }
  | { op: 'free-text'; replacement?: string };

export type OperatorName = OperatorSpec['op'];

export const OPERATOR_NAMES: readonly OperatorName[] = [
  'keep',
  'redact',
  'mask',
  'generalize',
  'date',
  'zip3',
  'pseudonymize',
  'tokenize',
  'date-shift',
  'top-code',
  'noise',
  'free-text',
];

/** The JSON schema of each operator's options; `op` itself is checked before these. */
export const OPERATOR_SCHEMAS: Record<OperatorName, object> = {
  keep: { properties: { op: {} }, additionalProperties: false },
  redact: {
    properties: { op: {}, replacement: { type: 'string' }, remove: { type: 'boolean' } },
    additionalProperties: false,
  },
  mask: {
    required: ['format'],
    properties: {
      op: {},
      format: { enum: ['name', 'resident-id', 'phone', 'email', 'address', 'middle'] },
      keepStart: { type: 'integer', minimum: 0 },
      keepEnd: { type: 'integer', minimum: 0 },
      maskChar: { type: 'string', minLength: 1, maxLength: 1 },
    },
    additionalProperties: false,
  },
  generalize: {
    required: ['hierarchy', 'level'],
    properties: {
      op: {},
      hierarchy: { type: 'string', minLength: 1 },
      level: { type: ['integer', 'string'] },
    },
    additionalProperties: false,
  },
  date: {
    required: ['grain'],
    properties: {
      op: {},
      grain: { enum: ['month', 'year'] },
      collapseAgeOver: { type: 'integer', minimum: 1 },
    },
    additionalProperties: false,
  },
  zip3: { properties: { op: {} }, additionalProperties: false },
  pseudonymize: {
    properties: {
      op: {},
      length: { type: 'integer', minimum: 8, maximum: 64 },
      prefix: { type: 'string' },
    },
    additionalProperties: false,
  },
  tokenize: { properties: { op: {} }, additionalProperties: false },
  'date-shift': {
    required: ['maxDays'],
    properties: { op: {}, maxDays: { type: 'integer', minimum: 1, maximum: 3650 } },
    additionalProperties: false,
  },
  'top-code': {
    required: ['max'],
    properties: { op: {}, max: { type: 'number' } },
    additionalProperties: false,
  },
  noise: {
    required: ['mechanism', 'scale'],
    properties: {
      op: {},
      mechanism: { enum: ['laplace', 'gaussian'] },
      scale: { type: 'number', exclusiveMinimum: 0 },
      decimals: { type: 'integer', minimum: 0, maximum: 10 },
      seed: { type: 'integer' },
    },
    additionalProperties: false,
  },
  'free-text': {
    properties: { op: {}, replacement: { type: 'string' } },
    additionalProperties: false,
  },
};
