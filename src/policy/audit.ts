/**
 * What the policy module asks the ledger to record. The module does not write the ledger (guard
 * and the API do, durably, before they answer): each change returns one of these, and the caller
 * turns it into a ledger entry (`kind`, `action`, `reason`; `patients` become keyed tokens in
 * `targets`).
 */
export interface PolicyAuditNote {
  kind: 'policy-change' | 'break-glass';
  /** `policy.propose`, `policy.activate`, `break-glass.declare`, `break-glass.review`, `emergency.declare`, `emergency.end`. */
  action: string;
  actor: string;
  organization: string;
  decision: 'permit';
  /** Ids and digests only: never PHI (the reason a clinician typed stays in the policy tables). */
  reason: string;
  /** Patient keys concerned (the caller turns them into tokens). */
  patients: readonly string[];
  time: number;
}
