/**
 * FHIR R4 Consent import and export. The base provision carries no type: what applies when no
 * rule does is the grading scheme's default (named in `policy`). Each rule is one nested
 * provision whose element id is the rule id, in the patient's order. What a provision can say that
 * Custodia's rules cannot (codes, data references, deeper nesting) is refused with its path,
 * never silently dropped.
 */
import { badRequest } from '../core/index.js';
import {
  ACT_CODE_SYSTEM,
  CATEGORY_SYSTEM,
  CONFIDENTIALITY_SYSTEM,
  gradeSystem,
  type GradingScheme,
} from '../classify/index.js';
import { defaultValidator, invalidContent, type FhirResource } from '../fhir/index.js';
import { CONFIDENTIALITY_ORDER } from '../classify/index.js';
import type { Consent, ConsentRule, RecipientScope } from './model.js';
import { purposeCoding, purposeFromCoding } from './purpose-codes.js';
import type { RawRule } from './validate.js';

export const ORGANIZATION_TYPE_SYSTEM = 'https://custodia.dev/fhir/CodeSystem/organization-type';
export const PROJECT_SYSTEM = 'https://custodia.dev/fhir/NamingSystem/project';
export const AGREEMENT_SYSTEM = 'https://custodia.dev/fhir/NamingSystem/data-use-agreement';
const RECIPIENT_ROLE = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  code: 'IRCP',
  display: 'information recipient',
};
const SCOPE = { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' };
const CATEGORY = { system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' };
export const schemePolicyUri = (scheme: GradingScheme) =>
  `https://custodia.dev/fhir/grading-scheme/${scheme.id}/${scheme.version}`;

interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
interface Reference {
  reference?: string;
  identifier?: { system?: string; value?: string };
}
interface Provision {
  id?: string;
  type?: 'permit' | 'deny';
  period?: { start?: string; end?: string };
  actor?: { role: { coding?: Coding[] }; reference: Reference }[];
  securityLabel?: Coding[];
  purpose?: Coding[];
  provision?: Provision[];
  [element: string]: unknown;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The patient's consent as a FHIR R4 Consent resource. */
export function toFhirConsent(consent: Consent, scheme: GradingScheme): FhirResource {
  return {
    resourceType: 'Consent',
    id: consent.consentId,
    meta: {
      versionId: String(consent.version),
      ...(consent.updatedAt === undefined ? {} : { lastUpdated: iso(consent.updatedAt)! }),
    },
    status: 'active',
    scope: { coding: [SCOPE] },
    category: [{ coding: [CATEGORY] }],
    patient: { reference: `Patient/${consent.patient}` },
    ...(consent.updatedAt === undefined ? {} : { dateTime: iso(consent.updatedAt) }),
    policy: [{ uri: schemePolicyUri(scheme) }],
    provision: { provision: consent.rules.map((r) => toProvision(r, scheme)) },
  };
}

function toProvision(rule: ConsentRule, scheme: GradingScheme): Provision {
  const labels: Coding[] = [
    ...(rule.categories ?? []).map((code) => ({ system: CATEGORY_SYSTEM, code })),
    ...(rule.labels ?? []).map((code) => ({
      system: (CONFIDENTIALITY_ORDER as readonly string[]).includes(code)
        ? CONFIDENTIALITY_SYSTEM
        : ACT_CODE_SYSTEM,
      code,
    })),
    ...(rule.grades ?? []).map((code) => ({ system: gradeSystem(scheme.id), code })),
  ];
  const period = { start: iso(rule.period.start), end: iso(rule.period.end) };
  return JSON.parse(
    JSON.stringify({
      id: rule.id,
      type: rule.effect === 'grant' ? 'permit' : 'deny',
      period: period.start || period.end ? period : undefined,
      actor: actorsOf(rule.recipient),
      securityLabel: labels.length ? labels : undefined,
      purpose: rule.purposes?.map(purposeCoding),
    }),
  ) as Provision;
}

function actorsOf(recipient: RecipientScope): Provision['actor'] {
  if (recipient.kind === 'any') return undefined;
  const reference = (value: string): Reference => {
    switch (recipient.kind) {
      case 'organization':
        return { reference: `Organization/${value}` };
      case 'organization-type':
        return { identifier: { system: ORGANIZATION_TYPE_SYSTEM, value } };
      case 'project':
        return { identifier: { system: PROJECT_SYSTEM, value } };
      case 'agreement':
        return { identifier: { system: AGREEMENT_SYSTEM, value } };
    }
  };
  return recipient.values.map((v) => ({ role: { coding: [RECIPIENT_ROLE] }, reference: reference(v) }));
}

/** A validated FHIR Consent's provisions as rules to check (`validateRule`), for the patient named. */
export function fromFhirConsent(body: unknown, patient: string, scheme: GradingScheme): RawRule[] {
  const result = defaultValidator().validate(body, { expectedType: 'Consent' });
  if (!result.valid) throw invalidContent(result.issues);
  const consent = result.resource as FhirResource & {
    status?: string;
    patient?: Reference;
    provision?: Provision;
  };
  if (consent.status !== 'active')
    throw badRequest(`Consent.status must be active to import; it is ${consent.status ?? 'missing'}`, {
      path: 'Consent.status',
      zh: 'Consent.status 须为 active 才能导入',
      hint: 'to withdraw grants, revoke them instead',
    });
  const ref = consent.patient?.reference;
  if (ref !== `Patient/${patient}`)
    throw badRequest(`Consent.patient must be Patient/${patient}, the patient this consent is for`, {
      path: 'Consent.patient',
      zh: `Consent.patient 须为本患者 Patient/${patient}`,
    });
  const base = consent.provision;
  if (!base) return [];
  const rules: RawRule[] = [];
  // A typed base provision is a rule of its own: the broadest, first in order.
  if (base.type !== undefined) rules.push(ruleOf(base, 'Consent.provision', scheme));
  else refuseUnsupported(base, 'Consent.provision', ['provision']);
  (base.provision ?? []).forEach((p, i) => {
    const path = `Consent.provision.provision[${i}]`;
    if (p.type === undefined)
      throw badRequest(`${path}.type is required: each rule permits or denies`, {
        path: `${path}.type`,
        zh: `${path}.type 为必填：每条规则须为 permit 或 deny`,
      });
    if (p.provision !== undefined)
      throw badRequest(`${path}.provision: provisions nested deeper than one level are not supported`, {
        path: `${path}.provision`,
        zh: `${path}.provision：不支持超过一层的嵌套条款`,
        hint: 'flatten them: a narrower rule already overrides a broader one',
      });
    rules.push(ruleOf(p, path, scheme));
  });
  return rules;
}

const UNSUPPORTED = ['class', 'code', 'data', 'dataPeriod', 'action', 'modifierExtension'];

function refuseUnsupported(p: Provision, path: string, allowed: readonly string[] = []): void {
  const keys = Object.keys(p).filter((k) => !allowed.includes(k) && k !== 'id' && k !== 'extension');
  const bad = keys.find((k) => UNSUPPORTED.includes(k) || !RULE_ELEMENTS.has(k));
  if (bad !== undefined)
    throw badRequest(
      `${path}.${bad} is not supported: a Custodia consent rule covers security labels (categories, sensitivity, grades), purposes, recipients and a period`,
      { path: `${path}.${bad}`, zh: `${path}.${bad} 不受支持：同意规则仅涵盖安全标签、目的、接收方和期限` },
    );
}

const RULE_ELEMENTS = new Set(['type', 'period', 'actor', 'securityLabel', 'purpose', 'provision']);

function ruleOf(p: Provision, path: string, scheme: GradingScheme): RawRule {
  refuseUnsupported(p, path, ['provision']);
  const categories: string[] = [];
  const labels: string[] = [];
  const grades: string[] = [];
  (p.securityLabel ?? []).forEach((c, i) => {
    const at = `${path}.securityLabel[${i}]`;
    if (!c.code) throw badRequest(`${at}.code is required`, { path: at, zh: `${at}.code 为必填` });
    if (c.system === CATEGORY_SYSTEM) categories.push(c.code);
    else if (c.system === gradeSystem(scheme.id)) grades.push(c.code);
    else if (c.system === ACT_CODE_SYSTEM || c.system === CONFIDENTIALITY_SYSTEM) labels.push(c.code);
    else
      throw badRequest(`${at}.system '${c.system ?? ''}' is not a label system this server evaluates`, {
        path: at,
        zh: `${at}.system 不是本系统可评估的标签体系`,
        hint: `use ${ACT_CODE_SYSTEM}, ${CONFIDENTIALITY_SYSTEM}, ${CATEGORY_SYSTEM} or ${gradeSystem(scheme.id)}`,
      });
  });
  const purposes = (p.purpose ?? []).map((c, i) => {
    const purpose = purposeFromCoding(c.system, c.code);
    if (!purpose)
      throw badRequest(`${path}.purpose[${i}] is not a purpose of use this server knows`, {
        path: `${path}.purpose[${i}]`,
        zh: `${path}.purpose[${i}] 不是已知的使用目的`,
      });
    return purpose;
  });
  return {
    effect: p.type === 'permit' ? 'grant' : 'deny',
    ...(categories.length ? { categories } : {}),
    ...(labels.length ? { labels } : {}),
    ...(grades.length ? { grades } : {}),
    ...(purposes.length ? { purposes } : {}),
    ...(p.actor?.length ? { recipient: recipientOf(p.actor, `${path}.actor`) } : {}),
    ...(p.period ? { period: { start: p.period.start, end: p.period.end } } : {}),
  };
}

function recipientOf(actors: NonNullable<Provision['actor']>, path: string): RawRule['recipient'] {
  const parsed = actors.map((a, i) => {
    const ref = a.reference;
    const at = `${path}[${i}].reference`;
    const org = /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(ref.reference ?? '');
    if (org) return { kind: 'organization', value: org[1]! };
    const id = ref.identifier;
    const kind =
      id?.system === ORGANIZATION_TYPE_SYSTEM
        ? 'organization-type'
        : id?.system === PROJECT_SYSTEM
          ? 'project'
          : id?.system === AGREEMENT_SYSTEM
            ? 'agreement'
            : undefined;
    if (!kind || !id?.value)
      throw badRequest(
        `${at} must be Organization/{id} or an identifier of an organization type, project or agreement`,
        { path: at, zh: `${at} 须为 Organization/{id}，或机构类型、项目、协议的标识` },
      );
    return { kind, value: id.value };
  });
  const kinds = new Set(parsed.map((p) => p.kind));
  if (kinds.size > 1)
    throw badRequest(`${path}: one rule names one kind of recipient`, {
      path,
      zh: `${path}：一条规则只能指定一种接收方类型`,
      hint: 'split the provision into one per kind of recipient',
    });
  return { kind: parsed[0]!.kind, values: parsed.map((p) => p.value) };
}
