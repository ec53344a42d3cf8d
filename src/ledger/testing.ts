/** Test support: audit entries that look like the real traffic, with opaque patient tokens. */
import { createHash } from 'node:crypto';
import type { AuditEntry, PatientToken } from './entry.js';

export const tokenFor = (n: number): PatientToken =>
  `pt_${createHash('sha256').update(`patient-${n}`).digest('base64url').slice(0, 22)}` as PatientToken;

const ACTORS = ['dr.wang.fang', 'nurse.li.na', 'svc-ingest', 'researcher.zhang.wei'];
const ACTIONS = ['Observation.read', 'Patient.read', 'Bundle.export', 'Consent.update'];

/** A deterministic mix of access decisions, reads and writes. */
export function sampleEntry(i: number, time = Date.UTC(2026, 10, 23) + i * 1000): AuditEntry {
  const common = {
    actor: ACTORS[i % ACTORS.length]!,
    organization: i % 3 === 0 ? 'org-beijing-union' : 'org-shanghai-ruijin',
    action: ACTIONS[i % ACTIONS.length]!,
    purpose: 'treatment',
    targets: [tokenFor(i % 10)],
    requestId: `req-${i}`,
    time,
  };
  switch (i % 3) {
    case 0:
      return {
        ...common,
        kind: 'access-decision',
        decision: i % 6 === 0 ? 'deny' : 'permit',
        reason: i % 6 === 0 ? 'no consent for research' : 'policy p-7 permits',
      };
    case 1:
      return { ...common, kind: 'read', resources: [`Observation/obs-${i}`] };
    default:
      return { ...common, kind: 'write', operation: 'create', resources: [`Observation/obs-${i}`] };
  }
}
