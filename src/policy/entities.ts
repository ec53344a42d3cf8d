/**
 * Turns a policy request (typed facts) into Cedar's entities and context. Everything is flattened
 * into strings, booleans and sorted sets, so the same facts always give the same values (and the
 * same cache key), and nothing needs an entity store.
 */
import { handlingFor, type GradingScheme, type Purpose } from '../classify/index.js';
import type { CedarContext, CedarEntity, CedarUid } from './cedar.js';
import type { PolicyRequest } from './model.js';

export const ENTITY_TYPES = {
  user: 'Custodia::User',
  patientData: 'Custodia::PatientData',
  dataset: 'Custodia::Dataset',
  action: 'Custodia::Action',
} as const;

/** The handling record of the schema's context: the scheme's rule for this grade and purpose. */
export interface HandlingRecord {
  [key: string]: boolean | string;
  allowed: boolean;
  consent: string;
  requiresDeidentification: boolean;
  requiresPrivacyComputing: boolean;
  requiresEmergencyDeclaration: boolean;
  requiresInstitutionalFiling: boolean;
  requiresEthicsApproval: boolean;
}

const NOT_ALLOWED: HandlingRecord = Object.freeze({
  allowed: false,
  consent: 'forbidden',
  requiresDeidentification: false,
  requiresPrivacyComputing: false,
  requiresEmergencyDeclaration: false,
  requiresInstitutionalFiling: false,
  requiresEthicsApproval: false,
});

/**
 * The scheme's facts per grade, computed once per scheme: a decision looks them up, it does not
 * walk the scheme. Unknown grades get no allowed purpose and the narrowest access range.
 */
export class SchemeFacts {
  private readonly handling = new Map<string, HandlingRecord>();
  private readonly scopes = new Map<string, string>();

  constructor(readonly scheme: GradingScheme) {
    for (const grade of scheme.grades) {
      this.scopes.set(grade.id, grade.handling.maxAccessScope);
      for (const purpose of grade.handling.allowedPurposes) {
        const found = handlingFor(scheme, grade.id, purpose);
        if (!found.allowed) continue;
        const r = found.rule;
        // Frozen: shared by every request for this grade and purpose (and remembered by the cache key).
        this.handling.set(
          `${grade.id}\u0000${purpose}`,
          Object.freeze({
            allowed: true,
            consent: r.consent,
            requiresDeidentification: r.requiresDeidentification === true,
            requiresPrivacyComputing: r.requiresPrivacyComputing === true,
            requiresEmergencyDeclaration: r.requiresEmergencyDeclaration === true,
            requiresInstitutionalFiling: r.requiresInstitutionalFiling === true,
            requiresEthicsApproval: r.requiresEthicsApproval === true,
          }),
        );
      }
    }
  }

  /** `seed-3-grade:grade-2` (as records stores it) or `grade-2`. */
  gradeId(grade: string): string {
    const colon = grade.lastIndexOf(':');
    return colon < 0 ? grade : grade.slice(colon + 1);
  }

  handlingOf(grade: string, purpose: Purpose | undefined): HandlingRecord {
    if (purpose === undefined) return NOT_ALLOWED;
    return this.handling.get(`${grade}\u0000${purpose}`) ?? NOT_ALLOWED;
  }

  accessScopeOf(grade: string): string {
    return this.scopes.get(grade) ?? 'minimal';
  }
}

export interface CedarInput {
  principal: CedarUid;
  action: CedarUid;
  resource: CedarUid;
  principalAttrs: Record<string, string | string[]>;
  resourceAttrs: Record<string, string | string[]>;
  context: CedarContext & { handling: HandlingRecord };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Hour of day (0-23) at `time` in a zone `utcOffsetMinutes` east of UTC. */
export const hourOf = (time: number, utcOffsetMinutes: number): number =>
  Math.floor(((((time + utcOffsetMinutes * 60_000) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

export function cedarInput(request: PolicyRequest, facts: SchemeFacts, utcOffsetMinutes: number): CedarInput {
  const { principal: p, resource: r, context: c } = request;
  const qualifications: string[] = [];
  for (const q of p.qualifications) {
    if (q.validUntil !== undefined && q.validUntil <= c.time) continue;
    qualifications.push(q.type, `${q.type}:${q.value}`);
  }
  const grade = facts.gradeId(r.grade);
  const resourceAttrs: Record<string, string | string[]> =
    r.kind === 'patient-data'
      ? {
          resourceType: r.resourceType,
          grade,
          accessScope: facts.accessScopeOf(grade),
          category: r.category,
          labels: sorted(r.labels),
          organization: r.orgId,
          patient: r.patientKey,
          department: r.department ?? '',
        }
      : {
          grade,
          accessScope: facts.accessScopeOf(grade),
          category: r.category,
          labels: sorted(r.labels),
          organization: r.orgId,
          deidentification: r.deidentification,
        };
  return {
    principal: { type: ENTITY_TYPES.user, id: p.userId },
    action: { type: ENTITY_TYPES.action, id: request.action },
    resource: { type: r.kind === 'patient-data' ? ENTITY_TYPES.patientData : ENTITY_TYPES.dataset, id: r.id },
    principalAttrs: {
      kind: p.kind,
      roles: sorted(p.roles),
      organization: p.orgId,
      organizationType: p.organizationType ?? '',
      qualifications: sorted(qualifications),
      department: p.department ?? '',
      region: p.region ?? '',
    },
    resourceAttrs,
    context: {
      purpose: c.purpose ?? '',
      hour: hourOf(c.time, utcOffsetMinutes),
      networkZone: c.networkZone,
      careRelationship: c.careRelationship,
      ownRecord: c.ownRecord,
      consent: c.consent === undefined ? 'none' : c.consent.permit ? 'permit' : 'deny',
      agreement: c.agreement === true,
      breakGlass: c.breakGlass?.state ?? 'none',
      emergency: c.emergency !== undefined,
      privacyComputing: c.privacyComputing === true,
      institutionalFiling: c.institutionalFiling === true,
      ethicsApproval: c.ethicsApproval === true,
      handling: facts.handlingOf(grade, c.purpose),
    },
  };
}

export function cedarEntities(input: CedarInput): CedarEntity[] {
  return [
    { uid: input.principal, attrs: input.principalAttrs, parents: [] },
    { uid: input.resource, attrs: input.resourceAttrs, parents: [] },
  ];
}
