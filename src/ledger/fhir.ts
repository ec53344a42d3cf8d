/**
 * FHIR R4 views of ledger entries: an AuditEvent for every entry, a Provenance for writes. The
 * views carry the same tokens and references as the entry, plus where it sits in the log, so a
 * FHIR client can ask for the inclusion proof.
 */
import type { AuditEntry, AuditKind } from './entry.js';
import type { StoredEntry } from './ledger.js';
import { toBase64 } from './primitives.js';

type FhirResource = { resourceType: string } & Record<string, unknown>;

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const TYPE: Record<AuditKind, [string, string]> = {
  'access-decision': ['110110', 'Patient Record'],
  read: ['110110', 'Patient Record'],
  write: ['110110', 'Patient Record'],
  export: ['110106', 'Export'],
  'consent-change': ['110137', 'User Security Attributes Changed'],
  'policy-change': ['110136', 'Security Roles Changed'],
  'key-operation': ['110100', 'Application Activity'],
  'break-glass': ['110113', 'Security Alert'],
  'agreement-event': ['110100', 'Application Activity'],
  login: ['110114', 'User Authentication'],
  'dataset-event': ['110106', 'Export'],
};

// Custodia purposes to HL7 v3 ActReason codes (the purposeOfUse value set).
const PURPOSE: Record<string, string> = {
  treatment: 'TREAT',
  emergency: 'ETREAT',
  research: 'HRESCH',
  'public-health': 'PUBHLTH',
  payment: 'HPAYMT',
  operations: 'HOPERAT',
  'quality-improvement': 'HQUALIMP',
  audit: 'HSYSADMIN',
};

function actionCode(entry: AuditEntry): 'C' | 'R' | 'U' | 'D' | 'E' {
  if (entry.kind === 'write') return ({ create: 'C', update: 'U', delete: 'D' } as const)[entry.operation];
  if (entry.kind === 'read' || entry.kind === 'export') return 'R';
  return 'E';
}

const identifier = (system: string, value: string) => ({ identifier: { system, value } });
const iso = (ms: number) => new Date(ms).toISOString();

function purposeOf(entry: AuditEntry) {
  if (!entry.purpose) return undefined;
  const code = PURPOSE[entry.purpose];
  return [
    code
      ? {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code }],
          text: entry.purpose,
        }
      : { text: entry.purpose },
  ];
}

/** The entry as a FHIR R4 AuditEvent; `origin` names the log (AuditEvent.source.observer). */
export function auditEventOf(stored: StoredEntry, origin: string): FhirResource {
  const { entry } = stored;
  const [code, display] = TYPE[entry.kind];
  const entities: Record<string, unknown>[] = entry.targets.map((token) => ({
    what: identifier('urn:custodia:patient-token', token),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  }));
  for (const reference of entry.resources ?? [])
    entities.push({
      what: { reference },
      type: {
        system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
        code: '2',
        display: 'System Object',
      },
    });
  if (entry.kind === 'dataset-event')
    entities.push({ what: identifier('urn:custodia:dataset', entry.dataset), name: entry.stage });
  entities.push({
    what: identifier(`urn:custodia:ledger:${origin}`, String(stored.index)),
    description: 'ledger entry',
    detail: [{ type: 'leafHash', valueBase64Binary: toBase64(stored.leafHash) }],
  });
  const purpose = purposeOf(entry);
  return {
    resourceType: 'AuditEvent',
    id: `ledger-${stored.index}`,
    type: { system: DCM, code, display },
    subtype: [{ system: 'https://custodia.dev/fhir/CodeSystem/audit-kind', code: entry.kind }],
    action: actionCode(entry),
    recorded: iso(entry.time),
    outcome: entry.decision === 'deny' ? '4' : '0',
    ...(entry.reason ? { outcomeDesc: entry.reason } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    agent: [
      {
        who: identifier('urn:custodia:actor', entry.actor),
        requestor: true,
        ...(purpose ? { purposeOfUse: purpose } : {}),
        ...(entry.requestId ? { altId: entry.requestId } : {}),
      },
      { who: identifier('urn:custodia:organization', entry.organization), requestor: false },
    ],
    source: { observer: { display: origin }, site: entry.organization },
    entity: entities,
  };
}

/** A FHIR R4 Provenance for a write entry: who created, updated or deleted which resources. */
export function provenanceOf(stored: StoredEntry, origin: string): FhirResource | undefined {
  const { entry } = stored;
  if (entry.kind !== 'write') return undefined;
  const purpose = purposeOf(entry);
  return {
    resourceType: 'Provenance',
    id: `ledger-${stored.index}`,
    target: entry.resources.map((reference) => ({ reference })),
    recorded: iso(entry.time),
    ...(purpose ? { reason: purpose } : {}),
    activity: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
          code: entry.operation.toUpperCase(),
        },
      ],
    },
    agent: [
      {
        type: {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' },
          ],
        },
        who: identifier('urn:custodia:actor', entry.actor),
        onBehalfOf: identifier('urn:custodia:organization', entry.organization),
      },
    ],
    entity: [{ role: 'source', what: identifier(`urn:custodia:ledger:${origin}`, String(stored.index)) }],
  };
}
