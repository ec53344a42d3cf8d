/**
 * Test support: a principal, a resource and a context with sensible defaults (a licensed
 * clinician of hospital h1 treating patient p1 at 10:00 China time), overridden per scenario.
 */
import type { Role } from '../identity/index.js';
import type {
  DatasetFacts,
  PatientDataFacts,
  PolicyAction,
  PolicyRequest,
  PrincipalFacts,
  RequestContextInput,
} from './model.js';

/** Epoch ms of 2026-11-23 at `hour`:`minute` China Standard Time (UTC+8). */
export const atLocal = (hour: number, minute = 0): number => Date.UTC(2026, 10, 23, hour - 8, minute);

export const LICENCE = { type: 'practising-licence', value: 'CN-110-2020-0001' };

export function principalFacts(
  roles: readonly Role[],
  overrides: Partial<PrincipalFacts> = {},
): PrincipalFacts {
  const clinical = roles.includes('clinician') || roles.includes('nurse');
  return {
    userId: `u-${roles.join('-')}`,
    kind: 'person',
    roles,
    orgId: 'h1',
    organizationType: 'hospital',
    qualifications: clinical ? [LICENCE] : [],
    department: 'cardiology',
    region: '110105',
    ...overrides,
  };
}

export function patientData(overrides: Partial<PatientDataFacts> = {}): PatientDataFacts {
  return {
    kind: 'patient-data',
    id: 'Observation/o1',
    resourceType: 'Observation',
    grade: 'seed-3-grade:grade-2',
    category: 'health-status',
    labels: [],
    orgId: 'h1',
    patientKey: 'p1',
    ...overrides,
  };
}

export function dataset(overrides: Partial<DatasetFacts> = {}): DatasetFacts {
  return {
    kind: 'dataset',
    id: 'ds-1',
    grade: 'grade-3',
    category: 'health-status',
    labels: [],
    orgId: 'h1',
    deidentification: 'anonymized',
    ...overrides,
  };
}

export function contextOf(overrides: Partial<RequestContextInput> = {}): RequestContextInput {
  return {
    purpose: 'treatment',
    time: atLocal(10),
    networkZone: 'internal',
    careRelationship: true,
    ownRecord: false,
    consent: { permit: true, version: 1 },
    ...overrides,
  };
}

export function requestOf(
  action: PolicyAction,
  principal: PrincipalFacts,
  resource: PatientDataFacts | DatasetFacts,
  context: RequestContextInput,
): PolicyRequest {
  return { action, principal, resource, context };
}
