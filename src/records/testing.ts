/**
 * Test support: a clinical store of its own on a fresh database, and the records a care
 * relationship is made of (a Practitioner with a practising-licence number, a Patient, an
 * Encounter naming the practitioner), written directly as one hospital.
 */
import { randomBytes } from 'node:crypto';
import { getScheme } from '../classify/index.js';
import type { Clock, TenantId } from '../core/index.js';
import { cryptoMigrations, LocalKeyring } from '../crypto/index.js';
import { openTestStore } from '../store/testing.js';
import type { Dialect } from '../store/index.js';
import type { WriteContext } from './prepare.js';
import { Records } from './records.js';
import { recordsMigrations } from './tables.js';

export const TEST_HOSPITAL: WriteContext = { tenant: 'default' as TenantId, orgId: 'org-hospital' };

/** The identifier system of practising-licence numbers in the test records. */
const LICENCE_SYSTEM = 'urn:custodia:practising-licence';

export interface TestRecords {
  records: Records;
  dispose(): Promise<void>;
}

/** Records of tenant `default` on a fresh, migrated store of the dialect. */
export async function openTestRecords(dialect: Dialect, clock: Clock): Promise<TestRecords> {
  const t = await openTestStore(dialect, [...cryptoMigrations, ...recordsMigrations]);
  const keys = await LocalKeyring.open({ dataDir: t.dataDir, masterKey: randomBytes(32) });
  const records = await Records.open({
    store: t.store,
    tenant: TEST_HOSPITAL.tenant,
    keys,
    scheme: getScheme('seed-3-grade'),
    clock,
  });
  return { records, dispose: () => t.dispose() };
}

/** Writes a resource as the test hospital; its stored id. */
async function create(
  records: Records,
  resource: Record<string, unknown> & { resourceType: string },
): Promise<string> {
  return (await records.create(TEST_HOSPITAL, resource.resourceType, resource)).id;
}

/** A Practitioner identified by a practising-licence number; its id. */
export const createPractitioner = (records: Records, licence: string): Promise<string> =>
  create(records, {
    resourceType: 'Practitioner',
    identifier: [{ system: LICENCE_SYSTEM, value: licence }],
  });

/** A Patient, naming a general practitioner when given; its id. */
export const createPatient = (records: Records, generalPractitioner?: string): Promise<string> =>
  create(records, {
    resourceType: 'Patient',
    gender: 'female',
    ...(generalPractitioner && {
      generalPractitioner: [{ reference: `Practitioner/${generalPractitioner}` }],
    }),
  });

/** An Encounter of the patient naming the practitioner, with the period and status given; its id. */
export const createEncounter = (
  records: Records,
  encounter: { patient: string; practitioner: string; status: string; start?: number; end?: number },
): Promise<string> => {
  const { start, end } = encounter;
  const period = {
    ...(start !== undefined && { start: new Date(start).toISOString() }),
    ...(end !== undefined && { end: new Date(end).toISOString() }),
  };
  return create(records, {
    resourceType: 'Encounter',
    status: encounter.status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${encounter.patient}` },
    participant: [{ individual: { reference: `Practitioner/${encounter.practitioner}` } }],
    ...(Object.keys(period).length > 0 && { period }),
  });
};
