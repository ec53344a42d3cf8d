import type { Clock } from '../core/index.js';
import { labelsOf, parsePurpose, type ConsentDecision, type ConsentService } from '../consent/index.js';
import type { FhirResource } from '../fhir/index.js';
import type { Principal } from '../identity/index.js';
import type { StoredVersion } from '../records/index.js';
import type { Access } from './audit.js';
import { patientIdOf } from './decision.js';

/**
 * Until the policy module makes a purpose mandatory, a request that declares none is taken as
 * treatment: what the store's readers did before consent was consulted.
 */
const DEFAULT_PURPOSE = 'treatment';

/**
 * The patient's consent, asked for each resource a principal is about to receive. It runs after
 * the policy decision and after decryption (the resource's security labels are in its body), and
 * before anything is released or recorded as read. A patient reading their own records is not
 * asked: that is their right, not a use that needs their consent.
 */
export class ConsentCheck {
  constructor(
    private readonly consent: ConsentService,
    private readonly clock: Clock,
  ) {}

  /** The decision for one resource, or undefined when consent does not apply to it. */
  async decide(
    access: Access,
    stored: Pick<StoredVersion, 'patientKey' | 'grade'>,
    resource: Buffer | FhirResource,
  ): Promise<ConsentDecision | undefined> {
    if (stored.patientKey.startsWith('org:') || isOwn(access.principal, stored.patientKey)) return undefined;
    const query = {
      patient: stored.patientKey,
      labels: this.consent.readsLabels(stored.patientKey) === false ? [] : labelsIn(resource),
      grade: stored.grade,
      purpose: parsePurpose(access.purpose ?? DEFAULT_PURPOSE, 'X-Purpose-Of-Use'),
      recipient: { organization: access.principal.orgId },
      time: this.clock.now(),
    };
    return this.consent.evaluateCached(query) ?? (await this.consent.evaluate(query));
  }
}

/** The security labels of a resource; the stored JSON is parsed only when a rule needs them. */
function labelsIn(resource: Buffer | FhirResource): string[] {
  const body = Buffer.isBuffer(resource) ? (JSON.parse(resource.toString('utf8')) as FhirResource) : resource;
  return labelsOf(body.meta?.security ?? []);
}

const isOwn = (principal: Principal, patientKey: string) =>
  principal.patientRef !== null && patientIdOf(principal.patientRef) === patientKey;
