/** JSON schema of a de-identification profile. Operator options are checked per operator (spec.ts). */
export const CONFIG_SCHEMA = {
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: {
    version: { const: 1 },
    profile: { enum: ['custom', 'hipaa-safe-harbor', 'gbt-37964', 'grading'] },
    description: { type: 'string' },
    keys: {
      type: 'object',
      additionalProperties: false,
      properties: {
        project: { type: 'string', pattern: '^(env|file):.+' },
        tokens: { type: 'string', pattern: '^(env|file):.+' },
      },
    },
    referenceDate: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    patientKey: { type: 'string', minLength: 1 },
    unlisted: { enum: ['error', 'keep', 'drop'] },
    hierarchies: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          csv: { type: 'string', minLength: 1 },
          builtin: { enum: ['age', 'date', 'division', 'zip', 'flat'] },
        },
        minProperties: 1,
        maxProperties: 1,
      },
    },
    fields: { type: 'object', additionalProperties: { type: 'object' } },
    grading: {
      type: 'object',
      additionalProperties: false,
      // Without a scheme to derive operators from, the profile must say what each grade gets.
      anyOf: [{ required: ['scheme'] }, { required: ['handling'] }],
      properties: {
        scheme: { type: 'string', minLength: 1 },
        release: { enum: ['minimal', 'small', 'medium', 'large', 'public'] },
        handling: { type: 'object', additionalProperties: { type: 'object' } },
        grades: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    fhir: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rules: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path'],
            properties: {
              path: { type: 'string', pattern: '^(\\*|[A-Z][A-Za-z]+)(\\.[a-z][A-Za-z0-9]*)+$' },
              where: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        },
      },
    },
    privacy: {
      type: 'object',
      required: ['quasiIdentifiers'],
      additionalProperties: false,
      properties: {
        k: { type: 'integer', minimum: 1 },
        suppressionLimit: { type: 'number', minimum: 0, maximum: 1 },
        metric: { enum: ['loss', 'discernibility', 'entropy'] },
        recoding: { enum: ['global', 'local'] },
        suppressedRows: { enum: ['drop', 'mask'] },
        population: { type: 'string' },
        quasiIdentifiers: {
          type: 'object',
          minProperties: 1,
          additionalProperties: {
            type: 'object',
            required: ['hierarchy'],
            additionalProperties: false,
            properties: { hierarchy: { type: 'string' }, maxLevel: { type: ['integer', 'string'] } },
          },
        },
        sensitive: {
          type: 'object',
          additionalProperties: {
            type: 'array',
            items: {
              type: 'object',
              required: ['model'],
              additionalProperties: false,
              properties: {
                model: { enum: ['distinct-l-diversity', 'entropy-l-diversity', 't-closeness'] },
                l: { type: 'number', minimum: 1 },
                t: { type: 'number', minimum: 0, maximum: 1 },
                distance: { enum: ['equal', 'hierarchical', 'ordered'] },
                hierarchy: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;
