import { CustodiaError } from '../core/index.js';
import type { Records } from '../records/index.js';
import type { Access } from './audit.js';
import type { Recorder } from './recorder.js';

/** The ledger action of an existence check. */
const ACTION = 'Patient.exists';

/**
 * Whether a Patient record exists, for a break-glass declaration (a grant for a patient nobody
 * has would be a standing permission waiting for whoever is later given that id). This is asked
 * before any policy decision on purpose: break-glass is for the clinician the policy refuses. It
 * answers from the stored version's facts: nothing is opened or decrypted, and nothing of the
 * record is returned but its patient key.
 *
 * Recorded in the ledger either way, as the patient index records its lookups: found, as a `read`
 * of `Patient.exists` naming the patient by keyed token (so it shows in the patient's access
 * history); not found (or deleted), as a refusal `unknown-patient` that names nobody, since the
 * id given may be anything a user typed.
 */
export async function confirmPatient(
  records: Records,
  recorder: Recorder,
  access: Access,
  patientId: string,
): Promise<string> {
  const stored = await records.current('Patient', patientId);
  if (stored !== undefined && stored.method !== 'DELETE') {
    await recorder.read(access, ACTION, [stored]);
    return stored.patientKey;
  }
  await recorder.denial(access, ACTION, [], 'unknown-patient');
  throw new CustodiaError(
    'not-found',
    stored === undefined ? `Patient/${patientId} does not exist` : `Patient/${patientId} was deleted`,
    {
      zh: stored === undefined ? `患者 Patient/${patientId} 不存在` : `患者 Patient/${patientId} 已被删除`,
      hint: 'give the id of an existing Patient record (find it with GET /fhir/Patient?identifier=…)',
    },
  );
}
