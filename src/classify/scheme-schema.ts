import { CONFIDENTIALITY_ORDER, DATA_CATEGORIES } from './scheme-model.js';
import { PURPOSES } from './purposes.js';

/** JSON Schema (draft 7, as ajv 8 reads it) for a grading scheme file. */
const i18n = {
  type: 'object',
  required: ['zh', 'en'],
  additionalProperties: false,
  properties: { zh: { type: 'string', minLength: 1 }, en: { type: 'string', minLength: 1 } },
} as const;

const purposeRule = {
  type: 'object',
  required: ['consent'],
  additionalProperties: false,
  properties: {
    consent: { enum: ['not-required', 'opt-out', 'opt-in', 'separate'] },
    requiresPrivacyComputing: { type: 'boolean' },
    requiresDeidentification: { type: 'boolean' },
    requiresInstitutionalFiling: { type: 'boolean' },
    requiresEmergencyDeclaration: { type: 'boolean' },
    requiresEthicsApproval: { type: 'boolean' },
    note: i18n,
  },
} as const;

const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 } as const;
const deidentification = { enum: ['identified', 'limited', 'pseudonymized', 'anonymized', 'aggregated'] };

export const schemeJsonSchema = {
  type: 'object',
  required: ['id', 'version', 'name', 'description', 'source', 'grades', 'assignment', 'defaultGrade'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    version: { type: 'string', minLength: 1 },
    name: i18n,
    description: i18n,
    source: i18n,
    defaultGrade: { type: 'string' },
    grades: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'rank', 'name', 'description', 'examples', 'confidentiality', 'handling'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
          rank: { type: 'integer', minimum: 1 },
          name: i18n,
          description: i18n,
          accessRange: i18n,
          examples: {
            type: 'object',
            required: ['zh', 'en'],
            additionalProperties: false,
            properties: {
              zh: { type: 'array', items: { type: 'string' } },
              en: { type: 'array', items: { type: 'string' } },
            },
          },
          confidentiality: { enum: [...CONFIDENTIALITY_ORDER] },
          handling: {
            type: 'object',
            required: [
              'requiresEncryption',
              'encryptionScope',
              'maxAccessScope',
              'requiresSourceRecord',
              'requiresDeidentificationStandardRecord',
              'purposes',
            ],
            additionalProperties: false,
            properties: {
              requiresEncryption: { type: 'boolean' },
              encryptionScope: { enum: ['storage-and-transit', 'whole-lifecycle'] },
              maxAccessScope: { enum: ['public', 'large', 'medium', 'small', 'minimal'] },
              requiresSourceRecord: { type: 'boolean' },
              requiresDeidentificationStandardRecord: { type: 'boolean' },
              purposes: {
                type: 'object',
                additionalProperties: false,
                properties: Object.fromEntries(PURPOSES.map((p) => [p, purposeRule])),
              },
            },
          },
        },
      },
    },
    assignment: {
      type: 'array',
      items: {
        type: 'object',
        required: ['when', 'grade', 'reason'],
        additionalProperties: false,
        properties: {
          grade: { type: 'string' },
          reason: i18n,
          when: {
            type: 'object',
            additionalProperties: false,
            properties: {
              anySensitivity: stringList,
              anyTag: stringList,
              category: { type: 'array', minItems: 1, items: { enum: [...DATA_CATEGORIES] } },
              resourceType: stringList,
              deidentification: { type: 'array', minItems: 1, items: deidentification },
              identifierKind: { type: 'array', minItems: 1, items: { enum: ['direct', 'quasi', 'none'] } },
              identifierType: stringList,
            },
          },
        },
      },
    },
    safeHarborIdentifiers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['number', 'id', 'name', 'allowedInLimitedDataSet'],
        additionalProperties: false,
        properties: {
          number: { type: 'integer', minimum: 1, maximum: 18 },
          id: { type: 'string' },
          name: i18n,
          allowedInLimitedDataSet: { type: 'boolean' },
          note: i18n,
        },
      },
    },
  },
} as const;
