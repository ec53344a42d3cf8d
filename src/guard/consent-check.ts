import type { Clock } from '../core/index.js';
import type { Purpose } from '../classify/index.js';
import { labelsOf, type ConsentDecision, type ConsentService } from '../consent/index.js';
import type { Principal } from '../identity/index.js';
import { isOwnRecord } from '../policy/index.js';
import type { StoredVersion } from '../records/index.js';
import type { SealedBody } from './sealed-body.js';

/**
 * The patient's consent for one use of one resource: it enters the policy decision's context
 * (the policies forbid what consent refuses, and some uses need consent given). Asked before
 * anything is released; the sealed body is opened for its security labels only when one of the
 * patient's rules is scoped by label. A patient reading their own records is not asked: that is
 * their right, not a use that needs their consent.
 */
export class ConsentCheck {
  constructor(
    private readonly consent: ConsentService,
    private readonly clock: Clock,
  ) {}

  /** Whether the patient's consent may depend on a resource's labels (unknown until first asked: yes). */
  readsLabels(patientKey: string): boolean {
    return this.consent.readsLabels(patientKey) !== false;
  }

  /** The decision for one resource, or undefined when consent does not apply to it. */
  async decide(
    principal: Principal,
    purpose: Purpose | undefined,
    stored: Pick<StoredVersion, 'patientKey' | 'grade'>,
    body: SealedBody | undefined,
    /** The principal's own records (OwnRecords), when a patient. */
    own: readonly string[] = [],
  ): Promise<ConsentDecision | undefined> {
    if (purpose === undefined || body === undefined) return undefined;
    if (stored.patientKey.startsWith('org:') || isOwnRecord(principal, stored.patientKey, own))
      return undefined;
    const query = {
      patient: stored.patientKey,
      labels: this.consent.readsLabels(stored.patientKey) === false ? [] : labelsOf(await body.labels()),
      grade: stored.grade,
      purpose,
      recipient: { organization: principal.orgId },
      time: this.clock.now(),
    };
    return this.consent.evaluateCached(query) ?? (await this.consent.evaluate(query));
  }
}
