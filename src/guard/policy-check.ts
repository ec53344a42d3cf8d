import type { Clock } from '../core/index.js';
import { resourceTypeInfo, type Purpose } from '../classify/index.js';
import { labelsOf, parsePurpose } from '../consent/index.js';
import type { Principal } from '../identity/index.js';
import {
  isOwnRecord,
  patientDataFactsOf,
  principalFactsOf,
  type BreakGlassService,
  type EmergencyService,
  type NetworkZone,
  type OrganizationFacts,
  type PolicyAction,
  type PolicyDecision,
  type PolicyService,
  type RequestContextInput,
} from '../policy/index.js';
import type { StoredVersion } from '../records/index.js';
import type { Access } from './audit.js';
import type { CareSource, CareTeam } from './care-team.js';
import type { ConsentCheck } from './consent-check.js';
import type { OwnRecords } from './own-records.js';
import type { SealedBody } from './sealed-body.js';

export interface PolicyOptions {
  policies: PolicyService;
  breakGlass: BreakGlassService;
  emergencies: EmergencyService;
  /** An organization's type and seat (GB/T 2260 division), looked up once per organization. */
  organizations: (orgId: string) => Promise<OrganizationFacts>;
  /** The network the server's clients reach it from. Default `internal`. */
  networkZone?: NetworkZone;
  /** Where care relationships come from. Default `records`. */
  careSource?: CareSource;
  /** Days a care relationship from an Encounter holds after it ends. Default `DEFAULT_CARE_WINDOW_DAYS`. */
  careWindowDays?: number;
}

/** What a decision is about: a stored resource, or a change with no stored resource yet (a write). */
export type PolicyTarget =
  | { kind: 'stored'; stored: StoredVersion; body: SealedBody | undefined }
  | { kind: 'new'; resourceType: string };

/**
 * The question guard puts to the policy decision point, with every fact gathered: who asks
 * (principal, their organization), about what (grade, category, labels, owner, patient), and in
 * which situation (purpose, time, network, care relationship, own record, consent, break-glass,
 * a declared emergency). The PDP answers from its cache when the same shape was decided before.
 */
export class PolicyCheck {
  private readonly organizationFacts = new Map<string, Promise<OrganizationFacts>>();

  constructor(
    private readonly options: PolicyOptions,
    private readonly care: CareTeam,
    private readonly consent: ConsentCheck | undefined,
    private readonly own: OwnRecords,
    private readonly clock: Clock,
  ) {}

  /** The declared purpose, parsed (400 listing the valid codes when unknown); undefined when none. */
  purposeOf(access: Access): Purpose | undefined {
    return access.purpose === undefined ? undefined : parsePurpose(access.purpose, 'X-Purpose-Of-Use');
  }

  /**
   * What a decision about this stored resource depends on, when that is known without its body:
   * resources of one page with the same key get the same decision. Undefined when labels (in the
   * sealed body) may matter to the policy or to the patient's consent.
   */
  decisionKey(stored: StoredVersion): string | undefined {
    if (this.options.policies.pdp.readsLabels || this.consent?.readsLabels(stored.patientKey))
      return undefined;
    return `${stored.patientKey}\u0000${stored.orgId}\u0000${stored.grade}\u0000${stored.resourceType}`;
  }

  async decide(access: Access, action: PolicyAction, target: PolicyTarget): Promise<PolicyDecision> {
    const { principal } = access;
    const purpose = this.purposeOf(access);
    const time = this.clock.now();
    const pdp = this.options.policies.pdp;
    const principalFacts = principalFactsOf(principal, await this.organization(principal.orgId));
    if (target.kind === 'new') {
      const resource = {
        kind: 'patient-data' as const,
        id: `${target.resourceType}/new`,
        resourceType: target.resourceType,
        grade: '',
        category: resourceTypeInfo(target.resourceType).category,
        labels: [],
        orgId: principal.orgId,
        patientKey: '',
      };
      return pdp.decide({ action, principal: principalFacts, resource, context: this.bare(purpose, time) });
    }
    const { stored, body } = target;
    const category = resourceTypeInfo(stored.resourceType).category;
    const labels = pdp.readsLabels && body ? labelsOf(await body.labels()) : [];
    const resource = patientDataFactsOf(stored, { category, labels });
    const context = await this.context(principal, purpose, time, stored, category, body);
    return pdp.decide({ action, principal: principalFacts, resource, context });
  }

  private async context(
    principal: Principal,
    purpose: Purpose | undefined,
    time: number,
    stored: StoredVersion,
    category: ReturnType<typeof resourceTypeInfo>['category'],
    body: SealedBody | undefined,
  ): Promise<RequestContextInput> {
    const { patientKey } = stored;
    // Only a patient has records of their own (a lookup, kept): nobody else waits for it.
    const own = principal.roles.includes('patient') ? await this.own.keysOf(principal) : [];
    const consent = await this.consent?.decide(principal, purpose, stored, body, own);
    const emergency = this.options.emergencies.covering({
      purpose,
      category,
      region: (await this.organization(stored.orgId)).divisionCode,
      time,
    });
    // Assigned onto `bare()`: spreading it and adding properties cost µs on every decision.
    const context = this.bare(purpose, time);
    context.careRelationship = await this.care.includes(principal, stored);
    context.ownRecord = isOwnRecord(principal, patientKey, own);
    context.breakGlass = this.options.breakGlass.stateFor(principal.userId, patientKey, time);
    if (consent !== undefined) context.consent = { permit: consent.permit, version: consent.version };
    if (emergency !== undefined) context.emergency = emergency;
    return context;
  }

  private bare(purpose: Purpose | undefined, time: number): RequestContextInput {
    return {
      purpose,
      time,
      networkZone: this.options.networkZone ?? 'internal',
      careRelationship: false,
      ownRecord: false,
    };
  }

  private organization(orgId: string): Promise<OrganizationFacts> {
    let facts = this.organizationFacts.get(orgId);
    if (facts === undefined) {
      facts = this.options.organizations(orgId).catch((error: unknown) => {
        this.organizationFacts.delete(orgId);
        throw error;
      });
      this.organizationFacts.set(orgId, facts);
    }
    return facts;
  }
}
