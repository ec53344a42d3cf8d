/**
 * The default pack as a decision table: roles × purposes × grades × consent × time of day ×
 * break-glass × emergency × network, each row with the expected permit or deny reason and the
 * obligations a permit carries. Grades are the seed's three (grade-3 least sensitive, grade-1 core
 * private data) unless a row names GB/T 39725-2020.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getScheme } from '../classify/index.js';
import type { Role } from '../identity/index.js';
import type {
  DatasetFacts,
  MaskField,
  PatientDataFacts,
  PolicyAction,
  PolicyDecision,
  PrincipalFacts,
  RequestContextInput,
} from './model.js';
import { compilePack, defaultPolicyFiles } from './pack.js';
import { PolicyDecisionPoint } from './pdp.js';
import { atLocal, contextOf, dataset, patientData, principalFacts } from './testing.js';

const ALL: MaskField[] = ['name', 'resident-id', 'phone', 'address'];
const BG_ACTIVE = { state: 'active', grantId: 'bg-1', expiresAt: atLocal(14) } as const;
const BG_EXPIRED = { state: 'expired', grantId: 'bg-0', expiredAt: atLocal(6) } as const;
const EMERGENCY = { declarationId: 'em-1' };
/** Everything a grade-1 use in a declared emergency needs besides the declaration. */
const PHE_CONDITIONS = {
  privacyComputing: true,
  institutionalFiling: true,
  consent: { permit: true, version: 3 },
};

interface Expected {
  /** A deny reason code, or 'permit'. */
  decision: string;
  mask?: MaskField[];
  redact?: boolean;
  deidentify?: boolean;
  requirePurpose?: boolean;
  audit?: 'standard' | 'detailed' | 'flagged';
  flags?: string[];
}

interface Row {
  name: string;
  action?: PolicyAction;
  roles: Role[];
  principal?: Partial<PrincipalFacts>;
  resource?: Partial<PatientDataFacts>;
  dataset?: Partial<DatasetFacts>;
  context?: Partial<RequestContextInput>;
  scheme?: 'gbt-39725-2020';
  expect: Expected;
}

const g = (grade: string) => ({ grade: `seed-3-grade:${grade}` });

const ROWS: Row[] = [
  // Clinicians and nurses: treatment within a care relationship, around the clock.
  {
    name: 'clinician treats grade-2',
    roles: ['clinician'],
    expect: { decision: 'permit', audit: 'detailed' },
  },
  {
    name: 'clinician treats grade-3',
    roles: ['clinician'],
    resource: g('grade-3'),
    expect: { decision: 'permit', audit: 'standard' },
  },
  {
    name: 'clinician treats grade-1',
    roles: ['clinician'],
    resource: g('grade-1'),
    expect: { decision: 'permit', audit: 'detailed' },
  },
  {
    name: 'clinician searches for treatment',
    action: 'search',
    roles: ['clinician'],
    expect: { decision: 'permit' },
  },
  {
    name: 'clinician at 03:00 (care does not keep office hours)',
    roles: ['clinician'],
    context: { time: atLocal(3) },
    expect: { decision: 'permit' },
  },
  {
    name: 'clinician without a care relationship',
    roles: ['clinician'],
    context: { careRelationship: false },
    expect: { decision: 'no-care-relationship' },
  },
  {
    name: 'clinician with no purpose',
    roles: ['clinician'],
    context: { purpose: undefined },
    expect: { decision: 'purpose-required' },
  },
  {
    name: 'clinician without a licence',
    roles: ['clinician'],
    principal: { qualifications: [] },
    expect: { decision: 'qualification-required' },
  },
  {
    name: 'clinician whose licence expired',
    roles: ['clinician'],
    principal: { qualifications: [{ type: 'practising-licence', value: 'X', validUntil: atLocal(9) }] },
    expect: { decision: 'qualification-required' },
  },
  {
    name: 'clinician exports for treatment (minimum necessary)',
    action: 'export',
    roles: ['clinician'],
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'clinician queries for treatment (minimum necessary)',
    action: 'query',
    roles: ['clinician'],
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'clinician whose patient refused (consent deny)',
    roles: ['clinician'],
    context: { consent: { permit: false, version: 2 } },
    expect: { decision: 'consent-denied' },
  },
  {
    name: 'nurse treats grade-2 (resident ID masked)',
    roles: ['nurse'],
    expect: { decision: 'permit', mask: ['resident-id'], audit: 'detailed' },
  },
  {
    name: 'nurse without a care relationship',
    roles: ['nurse'],
    context: { careRelationship: false },
    expect: { decision: 'no-care-relationship' },
  },
  {
    name: 'clinician-nurse sees the resident ID',
    roles: ['clinician', 'nurse'],
    expect: { decision: 'permit', mask: [] },
  },
  {
    name: 'clinician treats grade-1 from the internet',
    roles: ['clinician'],
    resource: g('grade-1'),
    context: { networkZone: 'internet' },
    expect: { decision: 'untrusted-network' },
  },
  {
    name: 'clinician treats grade-2 from the internet',
    roles: ['clinician'],
    context: { networkZone: 'internet' },
    expect: { decision: 'permit' },
  },
  {
    name: 'clinician treats grade-2 from a partner network',
    roles: ['clinician'],
    context: { networkZone: 'partner' },
    expect: { decision: 'permit' },
  },

  // Break-glass (seed 002 §6.2.1).
  {
    name: 'break-glass: emergency treatment without a care relationship',
    roles: ['clinician'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'permit', audit: 'flagged', flags: ['break-glass'] },
  },
  {
    name: 'break-glass: grade-1 under an active grant',
    roles: ['clinician'],
    resource: g('grade-1'),
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'permit', audit: 'flagged', flags: ['break-glass'] },
  },
  {
    name: 'break-glass: nurse under an active grant',
    roles: ['nurse'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'permit', mask: ['resident-id'], audit: 'flagged', flags: ['break-glass'] },
  },
  {
    name: 'break-glass: search under an active grant',
    action: 'search',
    roles: ['clinician'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'permit', audit: 'flagged', flags: ['break-glass'] },
  },
  {
    name: 'break-glass: emergency treatment with no grant',
    roles: ['clinician'],
    context: { purpose: 'emergency-treatment', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'break-glass: expired grant',
    roles: ['clinician'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_EXPIRED },
    expect: { decision: 'break-glass-expired' },
  },
  {
    name: 'break-glass: expired grant at night',
    roles: ['clinician'],
    context: {
      purpose: 'emergency-treatment',
      careRelationship: false,
      breakGlass: BG_EXPIRED,
      time: atLocal(23),
    },
    expect: { decision: 'break-glass-expired' },
  },
  {
    name: 'break-glass: expired grant but now on the care team',
    roles: ['clinician'],
    context: { breakGlass: BG_EXPIRED },
    expect: { decision: 'permit', flags: [] },
  },
  {
    name: 'break-glass: a researcher cannot use a grant (care needs a licence)',
    action: 'query',
    roles: ['researcher'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'qualification-required' },
  },
  {
    name: 'break-glass: a grant does not make a write',
    action: 'export',
    roles: ['clinician'],
    context: { purpose: 'emergency-treatment', careRelationship: false, breakGlass: BG_ACTIVE },
    expect: { decision: 'no-permitting-policy' },
  },

  // Patients and their own records.
  {
    name: 'patient reads own grade-2 record',
    roles: ['patient'],
    context: { purpose: 'patient-request', ownRecord: true, careRelationship: false },
    expect: { decision: 'permit', mask: [] },
  },
  {
    name: 'patient reads own grade-1 record',
    roles: ['patient'],
    resource: g('grade-1'),
    context: { purpose: 'patient-request', ownRecord: true, careRelationship: false },
    expect: { decision: 'permit', audit: 'detailed' },
  },
  {
    name: 'patient exports own record (purpose bound)',
    action: 'export',
    roles: ['patient'],
    context: { purpose: 'patient-request', ownRecord: true, careRelationship: false },
    expect: { decision: 'permit', requirePurpose: true },
  },
  {
    name: "patient reads someone else's record",
    roles: ['patient'],
    context: { purpose: 'patient-request', ownRecord: false, careRelationship: false },
    expect: { decision: 'not-own-record' },
  },
  {
    name: 'patient with no purpose',
    roles: ['patient'],
    context: { purpose: undefined, ownRecord: true, careRelationship: false },
    expect: { decision: 'purpose-required' },
  },
  {
    name: 'patient reads own grade-1 from the internet',
    roles: ['patient'],
    resource: g('grade-1'),
    context: {
      purpose: 'patient-request',
      ownRecord: true,
      careRelationship: false,
      networkZone: 'internet',
    },
    expect: { decision: 'permit' },
  },
  {
    name: 'patient claims a care purpose (care needs a licence)',
    roles: ['patient'],
    context: { purpose: 'treatment', ownRecord: true, careRelationship: false },
    expect: { decision: 'qualification-required' },
  },

  // Payment and operations (data stewards, administrators): masked, special categories redacted, office hours.
  {
    name: 'steward reads for payment',
    roles: ['data-steward'],
    context: { purpose: 'payment', careRelationship: false },
    expect: { decision: 'permit', mask: ALL, redact: true },
  },
  {
    name: 'steward reads for payment, other hospital',
    roles: ['data-steward'],
    resource: { orgId: 'h2' },
    context: { purpose: 'payment', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'steward reads for payment at 21:00',
    roles: ['data-steward'],
    context: { purpose: 'payment', careRelationship: false, time: atLocal(21) },
    expect: { decision: 'outside-permitted-hours' },
  },
  {
    name: 'steward reads for payment at 07:59',
    roles: ['data-steward'],
    context: { purpose: 'payment', careRelationship: false, time: atLocal(7, 59) },
    expect: { decision: 'outside-permitted-hours' },
  },
  {
    name: 'steward reads for payment at 08:00',
    roles: ['data-steward'],
    context: { purpose: 'payment', careRelationship: false, time: atLocal(8) },
    expect: { decision: 'permit' },
  },
  {
    name: 'steward reads grade-1 for payment',
    roles: ['data-steward'],
    resource: g('grade-1'),
    context: { purpose: 'payment', careRelationship: false },
    expect: { decision: 'purpose-not-allowed-for-grade' },
  },
  {
    name: 'steward searches grade-2 for operations (de-identified)',
    action: 'search',
    roles: ['data-steward'],
    context: { purpose: 'operations', careRelationship: false },
    expect: { decision: 'permit', mask: ALL, redact: true, deidentify: true },
  },
  {
    name: 'steward searches grade-3 for operations',
    action: 'search',
    roles: ['data-steward'],
    resource: g('grade-3'),
    context: { purpose: 'operations', careRelationship: false },
    expect: { decision: 'permit', deidentify: false, audit: 'standard' },
  },
  {
    name: 'steward reads one record for operations',
    roles: ['data-steward'],
    context: { purpose: 'operations', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'admin queries for operations',
    action: 'query',
    roles: ['admin'],
    context: { purpose: 'operations', careRelationship: false },
    expect: { decision: 'permit' },
  },
  {
    name: 'nurse claims payment purpose',
    roles: ['nurse'],
    context: { purpose: 'payment' },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'steward claims a care purpose (care needs a licence)',
    roles: ['data-steward'],
    context: { purpose: 'treatment', careRelationship: false },
    expect: { decision: 'qualification-required' },
  },

  // Research (seed 002 §7.1.2): consent, agreement, privacy computing, filing by grade; never single reads.
  {
    name: 'researcher queries grade-3 (opt-out, de-identified)',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'research', careRelationship: false, agreement: true },
    expect: { decision: 'permit', mask: ALL, deidentify: true, audit: 'standard' },
  },
  {
    name: 'researcher queries grade-3 at 22:00',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'research', careRelationship: false, agreement: true, time: atLocal(22) },
    expect: { decision: 'outside-permitted-hours' },
  },
  {
    name: 'researcher queries grade-3 without an agreement',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'research', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'researcher queries grade-3, patient objected',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: {
      purpose: 'research',
      careRelationship: false,
      agreement: true,
      consent: { permit: false, version: 4 },
    },
    expect: { decision: 'consent-denied' },
  },
  {
    name: 'researcher reads a single grade-3 record',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'research', careRelationship: false, agreement: true },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'researcher queries grade-2 outside privacy computing',
    action: 'query',
    roles: ['researcher'],
    context: { purpose: 'research', careRelationship: false, agreement: true },
    expect: { decision: 'privacy-computing-required' },
  },
  {
    name: 'researcher queries grade-2 in privacy computing, not filed',
    action: 'query',
    roles: ['researcher'],
    context: { purpose: 'research', careRelationship: false, agreement: true, privacyComputing: true },
    expect: { decision: 'institutional-filing-required' },
  },
  {
    name: 'researcher queries grade-2 in privacy computing, filed',
    action: 'query',
    roles: ['researcher'],
    context: {
      purpose: 'research',
      careRelationship: false,
      agreement: true,
      privacyComputing: true,
      institutionalFiling: true,
    },
    expect: { decision: 'permit', deidentify: true, audit: 'detailed' },
  },
  {
    name: 'researcher queries grade-2, consent not given (opt-in)',
    action: 'query',
    roles: ['researcher'],
    context: {
      purpose: 'research',
      careRelationship: false,
      agreement: true,
      privacyComputing: true,
      institutionalFiling: true,
      consent: { permit: false, version: 0 },
    },
    expect: { decision: 'consent-denied' },
  },
  {
    name: 'researcher queries grade-1 (core private data)',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-1'),
    context: { purpose: 'research', careRelationship: false, agreement: true, ...PHE_CONDITIONS },
    expect: { decision: 'purpose-not-allowed-for-grade' },
  },
  {
    name: 'researcher exports grade-3 for AI training (purpose bound)',
    action: 'export',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'ai-training', careRelationship: false, agreement: true },
    expect: { decision: 'permit', requirePurpose: true, deidentify: true },
  },
  {
    name: 'researcher exports grade-3 from the internet',
    action: 'export',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'research', careRelationship: false, agreement: true, networkZone: 'internet' },
    expect: { decision: 'untrusted-network' },
  },
  {
    name: 'researcher queries a grade-3 dataset (consent screened at build)',
    action: 'query',
    roles: ['researcher'],
    dataset: {},
    context: { purpose: 'research', careRelationship: false, agreement: true, consent: undefined },
    expect: { decision: 'permit', deidentify: true },
  },
  {
    name: 'researcher queries grade-3 for marketing',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'marketing', careRelationship: false, agreement: true },
    expect: { decision: 'purpose-not-allowed-for-grade' },
  },
  {
    name: 'researcher queries grade-3 for commercial insurance',
    action: 'query',
    roles: ['researcher'],
    resource: g('grade-3'),
    context: { purpose: 'commercial-insurance', careRelationship: false, agreement: true },
    expect: { decision: 'purpose-not-allowed-for-grade' },
  },

  // Regulators, public health, and declared emergencies (grade 1 only under its extra conditions).
  {
    name: 'regulator searches for oversight',
    action: 'search',
    roles: ['regulator'],
    resource: { orgId: 'h2' },
    context: { purpose: 'regulatory', careRelationship: false },
    expect: { decision: 'permit', mask: ALL, redact: true },
  },
  {
    name: 'regulator searches grade-1 for oversight',
    action: 'search',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: { purpose: 'regulatory', careRelationship: false },
    expect: { decision: 'purpose-not-allowed-for-grade' },
  },
  {
    name: 'regulator reads a single record for oversight',
    roles: ['regulator'],
    context: { purpose: 'regulatory', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'regulator searches grade-3 for public health',
    action: 'search',
    roles: ['regulator'],
    resource: g('grade-3'),
    context: { purpose: 'public-health', careRelationship: false },
    expect: { decision: 'permit', mask: ALL, deidentify: true },
  },
  {
    name: 'regulator searches for public health at night',
    action: 'search',
    roles: ['regulator'],
    resource: g('grade-3'),
    context: { purpose: 'public-health', careRelationship: false, time: atLocal(23) },
    expect: { decision: 'permit' },
  },
  {
    name: 'steward of another hospital, public health',
    action: 'search',
    roles: ['data-steward'],
    resource: { ...g('grade-3'), orgId: 'h2' },
    context: { purpose: 'public-health', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'emergency: grade-1 with declaration, separate consent, privacy computing, filing',
    action: 'query',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: {
      purpose: 'public-health-emergency',
      careRelationship: false,
      emergency: EMERGENCY,
      ...PHE_CONDITIONS,
    },
    expect: { decision: 'permit', audit: 'flagged', flags: ['emergency'] },
  },
  {
    name: 'emergency: grade-1 without a declaration',
    action: 'query',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: { purpose: 'public-health-emergency', careRelationship: false, ...PHE_CONDITIONS },
    expect: { decision: 'emergency-declaration-required' },
  },
  {
    name: 'emergency: grade-1 without separate consent',
    action: 'query',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: {
      purpose: 'public-health-emergency',
      careRelationship: false,
      emergency: EMERGENCY,
      ...PHE_CONDITIONS,
      consent: undefined,
    },
    expect: { decision: 'separate-consent-required' },
  },
  {
    name: 'emergency: grade-1, patient refused',
    action: 'query',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: {
      purpose: 'public-health-emergency',
      careRelationship: false,
      emergency: EMERGENCY,
      ...PHE_CONDITIONS,
      consent: { permit: false, version: 5 },
    },
    expect: { decision: 'consent-denied' },
  },
  {
    name: 'emergency: grade-1 outside privacy computing',
    action: 'query',
    roles: ['regulator'],
    resource: g('grade-1'),
    context: {
      purpose: 'public-health-emergency',
      careRelationship: false,
      emergency: EMERGENCY,
      ...PHE_CONDITIONS,
      privacyComputing: false,
    },
    expect: { decision: 'privacy-computing-required' },
  },
  {
    name: 'emergency: grade-2 with a declaration',
    action: 'search',
    roles: ['regulator'],
    context: { purpose: 'public-health-emergency', careRelationship: false, emergency: EMERGENCY },
    expect: { decision: 'permit', audit: 'flagged', flags: ['emergency'], mask: ALL },
  },
  {
    name: 'emergency: grade-2 without a declaration',
    action: 'search',
    roles: ['regulator'],
    context: { purpose: 'public-health-emergency', careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'emergency: clinician reads grade-3 (de-identified)',
    roles: ['clinician'],
    resource: g('grade-3'),
    context: { purpose: 'public-health-emergency', careRelationship: false, emergency: EMERGENCY },
    expect: { decision: 'permit', deidentify: true, flags: ['emergency'] },
  },
  {
    name: 'emergency: steward exports at 23:00',
    action: 'export',
    roles: ['data-steward'],
    context: {
      purpose: 'public-health-emergency',
      careRelationship: false,
      emergency: EMERGENCY,
      time: atLocal(23),
    },
    expect: { decision: 'permit', requirePurpose: true, flags: ['emergency'] },
  },
  {
    name: 'emergency: a researcher is not among the responders',
    action: 'query',
    roles: ['researcher'],
    context: { purpose: 'public-health-emergency', careRelationship: false, emergency: EMERGENCY },
    expect: { decision: 'no-permitting-policy' },
  },

  // Re-identification, writes, erasure.
  {
    name: 'privacy officer re-identifies a dataset',
    action: 'reidentify',
    roles: ['privacy-officer'],
    dataset: { grade: 'grade-2' },
    context: { purpose: 'operations', careRelationship: false, consent: undefined },
    expect: { decision: 'permit' },
  },
  {
    name: 'privacy officer re-identifies with no purpose',
    action: 'reidentify',
    roles: ['privacy-officer'],
    dataset: { grade: 'grade-2' },
    context: { purpose: undefined, careRelationship: false, consent: undefined },
    expect: { decision: 'purpose-required' },
  },
  {
    name: 'privacy officer re-identifies from the internet',
    action: 'reidentify',
    roles: ['privacy-officer'],
    dataset: { grade: 'grade-2' },
    context: { purpose: 'operations', careRelationship: false, consent: undefined, networkZone: 'internet' },
    expect: { decision: 'untrusted-network' },
  },
  {
    name: 'researcher re-identifies',
    action: 'reidentify',
    roles: ['researcher'],
    dataset: { grade: 'grade-3' },
    context: { purpose: 'research', careRelationship: false, consent: undefined, agreement: true },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'clinician writes for own hospital (no purpose needed)',
    action: 'write',
    roles: ['clinician'],
    context: { purpose: undefined },
    expect: { decision: 'permit' },
  },
  {
    name: 'clinician writes for another hospital',
    action: 'write',
    roles: ['clinician'],
    resource: { orgId: 'h2' },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'researcher writes',
    action: 'write',
    roles: ['researcher'],
    context: { purpose: undefined },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'import service writes for its hospital',
    action: 'write',
    roles: [],
    principal: { kind: 'service' },
    context: { purpose: undefined },
    expect: { decision: 'permit' },
  },
  {
    name: 'admin erases a patient of own hospital',
    action: 'erase',
    roles: ['admin'],
    context: { purpose: undefined, careRelationship: false },
    expect: { decision: 'permit' },
  },
  {
    name: 'privacy officer erases in another hospital',
    action: 'erase',
    roles: ['privacy-officer'],
    resource: { orgId: 'h2' },
    context: { purpose: undefined, careRelationship: false },
    expect: { decision: 'no-permitting-policy' },
  },
  {
    name: 'clinician erases',
    action: 'erase',
    roles: ['clinician'],
    context: { purpose: undefined },
    expect: { decision: 'no-permitting-policy' },
  },

  // GB/T 39725-2020: level 5 research needs separate consent, privacy computing, ethics and filing.
  {
    name: 'GB/T level-5 research with every condition',
    scheme: 'gbt-39725-2020',
    action: 'query',
    roles: ['researcher'],
    resource: { grade: 'gbt-39725-2020:level-5', labels: ['HIV'] },
    context: {
      purpose: 'research',
      careRelationship: false,
      agreement: true,
      privacyComputing: true,
      institutionalFiling: true,
      ethicsApproval: true,
    },
    expect: { decision: 'permit', deidentify: true, audit: 'detailed' },
  },
  {
    name: 'GB/T level-5 research without ethics approval',
    scheme: 'gbt-39725-2020',
    action: 'query',
    roles: ['researcher'],
    resource: { grade: 'gbt-39725-2020:level-5' },
    context: {
      purpose: 'research',
      careRelationship: false,
      agreement: true,
      privacyComputing: true,
      institutionalFiling: true,
    },
    expect: { decision: 'ethics-approval-required' },
  },
  {
    name: 'GB/T level-4 commercial insurance without separate consent',
    scheme: 'gbt-39725-2020',
    roles: ['data-steward'],
    resource: { grade: 'level-4' },
    context: {
      purpose: 'commercial-insurance',
      careRelationship: false,
      consent: { permit: false, version: 0 },
    },
    expect: { decision: 'consent-denied' },
  },
];

function pdpFor(scheme: string): PolicyDecisionPoint {
  const compiled = compilePack(defaultPolicyFiles());
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return new PolicyDecisionPoint(compiled.pack, 1, { scheme: getScheme(scheme) });
}

function check(decision: PolicyDecision, expected: Expected, name: string): void {
  if (!decision.permit) {
    assert.equal(decision.code, expected.decision, `${name}: denied as ${decision.code} (${decision.en})`);
    assert.ok(decision.en.length > 0 && decision.zh.length > 0, `${name}: a deny says why in en and zh`);
    return;
  }
  assert.equal('permit', expected.decision, `${name}: permitted by ${decision.policies.join(', ')}`);
  const of = <K extends string>(kind: K) => decision.obligations.filter((o) => o.kind === kind);
  const mask = decision.obligations.flatMap((o) => (o.kind === 'mask' ? o.fields : []));
  if (expected.mask !== undefined) assert.deepEqual(mask, expected.mask, `${name}: masked fields`);
  if (expected.redact !== undefined)
    assert.equal(of('redact').length > 0, expected.redact, `${name}: redaction`);
  if (expected.deidentify !== undefined)
    assert.equal(of('deidentify').length > 0, expected.deidentify, `${name}: de-identification`);
  const bound = decision.obligations.find((o) => o.kind === 'require-purpose');
  assert.equal(bound !== undefined, expected.requirePurpose === true, `${name}: purpose binding`);
  const audit = decision.obligations.find((o) => o.kind === 'audit');
  assert.ok(audit && audit.kind === 'audit', `${name}: every permit sets an audit level`);
  if (expected.audit !== undefined) assert.equal(audit.level, expected.audit, `${name}: audit level`);
  assert.deepEqual([...audit.flags], expected.flags ?? [], `${name}: audit flags`);
  if (audit.flags.includes('break-glass')) assert.equal(audit.breakGlassGrant, 'bg-1');
  if (audit.flags.includes('emergency')) assert.equal(audit.emergencyDeclaration, 'em-1');
  if (expected.flags?.length)
    assert.equal(audit.level, 'flagged', `${name}: flagged uses are audited as such`);
}

describe('policy: the default pack decision table', () => {
  const pdps = new Map<string, PolicyDecisionPoint>();
  const pdp = (scheme = 'seed-3-grade') => {
    let found = pdps.get(scheme);
    if (!found) pdps.set(scheme, (found = pdpFor(scheme)));
    return found;
  };

  it('covers at least 60 scenarios, every role, and both outcomes', () => {
    assert.ok(ROWS.length >= 60, `${ROWS.length} rows`);
    const roles = new Set(ROWS.flatMap((r) => r.roles));
    for (const role of [
      'patient',
      'clinician',
      'nurse',
      'data-steward',
      'researcher',
      'privacy-officer',
      'regulator',
      'admin',
    ] as const)
      assert.ok(roles.has(role), role);
    assert.ok(
      ROWS.some((r) => r.expect.decision === 'permit') && ROWS.some((r) => r.expect.decision !== 'permit'),
    );
    assert.equal(new Set(ROWS.map((r) => r.name)).size, ROWS.length, 'row names are unique');
  });

  for (const row of ROWS) {
    it(row.name, () => {
      const principal = principalFacts(row.roles, row.principal);
      const resource = row.dataset !== undefined ? dataset(row.dataset) : patientData(row.resource);
      const context = contextOf(row.context);
      const request = { action: row.action ?? 'read', principal, resource, context };
      const decided = pdp(row.scheme).decide(request);
      check(decided, row.expect, row.name);
      // The cached answer is the answer: asking again (a cache hit) and asking Cedar directly agree.
      assert.deepEqual(pdp(row.scheme).decide(request), decided);
      assert.deepEqual(pdp(row.scheme).decideUncached(request), decided);
    });
  }
});
