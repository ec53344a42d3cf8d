/** Test support: audit entries that look like the real traffic, with opaque patient tokens. */
import { createHash } from 'node:crypto';
import { subjectsOf, type AuditEntry, type PatientToken } from './entry.js';
import type { LedgerQuery, StoredEntry } from './ledger.js';

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

/** What `Ledger.query` must return, computed by brute force over every entry of the log. */
export function bruteForceQuery(
  all: readonly StoredEntry[],
  q: LedgerQuery,
): { entries: StoredEntry[]; next?: number } {
  const limit = Math.min(1000, Math.max(1, q.limit ?? 100));
  const subject = q.subject ?? (q.patient === undefined ? undefined : `patient:${q.patient}`);
  const matching = all.filter(
    ({ index, entry }) =>
      (subject === undefined || subjectsOf(entry).includes(subject)) &&
      (q.actor === undefined || entry.actor === q.actor) &&
      (q.action === undefined || entry.action === q.action) &&
      (q.kind === undefined || entry.kind === q.kind) &&
      (q.from === undefined || entry.time >= q.from) &&
      (q.to === undefined || entry.time < q.to) &&
      (q.after === undefined || index > q.after),
  );
  const entries = matching.slice(0, limit);
  return matching.length > limit ? { entries, next: entries[entries.length - 1]!.index } : { entries };
}
