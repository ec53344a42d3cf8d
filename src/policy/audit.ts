/**
 * What the policy module asks the ledger to record. The module does not write the ledger itself
 * (guard does, for the API and the console): each change is handed a `PolicyRecorder` and calls it
 * with one of these notes, which the recorder turns into a ledger entry (`kind`, `action`,
 * `reason`; `patients` become keyed tokens in `targets`).
 */
import { isCustodiaError, type Clock } from '../core/index.js';

export interface PolicyAuditNote {
  kind: 'policy-change' | 'break-glass';
  /**
   * `policy.propose`, `policy.activate`, `break-glass.declare`, `break-glass.review`,
   * `emergency.declare`, `emergency.end`; the same with `.failed` appended when the change was
   * recorded but could not be committed (see `recordedChange`).
   */
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

/** Writes a note to the ledger durably; resolves once it is there, rejects when it could not be. */
export type PolicyRecorder = (note: PolicyAuditNote) => Promise<void>;

/** The ledger's limit on an entry's reason (src/ledger/entry.ts). */
const MAX_REASON = 2048;

/**
 * Makes one change so that it can never stand unrecorded.
 *
 * The ledger and the policy tables cannot share a transaction (the ledger commits its own, in
 * groups), so one of the two writes has to come first. If the change came first and the ledger
 * append then failed, the change would be in force with nothing in the ledger, which is the one
 * outcome the audit trail exists to rule out. So the entry comes first: `intent` describes the
 * change exactly as it will be committed (ids generated and version numbers chosen beforehand),
 * and only once it is durable does `commit` run. If the append fails, nothing has changed and the
 * caller gets the ledger's error. If the commit fails, a second entry (`<action>.failed`, with the
 * error's code, never its message) says so, and the commit's error goes to the caller.
 *
 * What this guarantees: every change that stands in the policy tables has its entry in the ledger.
 * The converse holds except when both the commit and the second append fail (or a commit succeeds
 * but reports an error, e.g. a connection lost after COMMIT): then the ledger shows an intent
 * whose outcome it does not know, and the policy tables (versions, grants, declarations, each
 * under the id the entry names) say whether it stands. The ledger may overstate what changed; it
 * never understates it.
 */
export async function recordedChange<T>(
  record: PolicyRecorder,
  intent: PolicyAuditNote,
  commit: () => Promise<T>,
  clock: Clock,
): Promise<T> {
  await record(intent);
  try {
    return await commit();
  } catch (error) {
    const code = isCustodiaError(error) ? error.code : 'error';
    const failed: PolicyAuditNote = {
      ...intent,
      action: `${intent.action}.failed`,
      reason: `not committed (${code}): ${intent.reason}`.slice(0, MAX_REASON),
      time: clock.now(),
    };
    // Best effort: the intent is already in the ledger, and the caller must hear the commit's error.
    await record(failed).catch(() => undefined);
    throw error;
  }
}
