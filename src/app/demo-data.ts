import type { OrgId, TenantId } from '../core/index.js';
import { servicePrincipal, type Principal } from '../identity/index.js';
import {
  ACT_CODE_SYSTEM,
  CN_PRACTITIONER_LICENSE_SYSTEM,
  generateRegion,
  type HospitalSpec,
  type RegionManifest,
  type StaffMember,
} from '../synth/index.js';
import type { System } from './system.js';

export interface DemoHospital extends HospitalSpec {
  orgId: OrgId;
}

/** A generated member of staff the demo's clinician or nurse logs in as. */
export interface DemoCarer {
  /** Practising-licence number: it matches the user to the Practitioner in the records. */
  licence: string;
  department: string;
}

export interface DemoPatients {
  /** The stored Patient id of the person the demo patient logs in as, when known. */
  demoPatientRef: string | undefined;
  /** The doctor and nurse who treat the demo patient at the first hospital (first seeding only). */
  carers?: { clinician: DemoCarer | undefined; nurse: DemoCarer | undefined };
}

/** The demo's own service principal: it writes each hospital's records as that hospital. */
const seeder = (tenantId: TenantId, orgId: OrgId): Principal =>
  servicePrincipal(tenantId, orgId, 'demo-seed', ['data-steward']);

export const DEMO_PATIENT_COUNT = 240;

/** How many of the demo clinician's patients are in hospital now, the demo patient first. */
const DEMO_WARD_SIZE = 5;

const HOUR_MS = 3_600_000;

/**
 * Loads the demo region's patients, made by the project's own generator (deterministic: the same
 * people at every fresh start): Chinese patients with valid resident IDs and some English ones,
 * spread over the three demo hospitals, some at two of them (the patient index links those).
 * Each hospital's records are written through guard as that hospital, like any import.
 */
export async function seedDemoPatients(
  system: System,
  hospitals: readonly DemoHospital[],
): Promise<DemoPatients> {
  const first = hospitals[0]!;
  const region = generateRegion({ seed: 'custodia-demo', patients: DEMO_PATIENT_COUNT, hospitals });
  const demoPatient = pickDemoPatient(region.manifest, first.id);
  if (!demoPatient) throw new Error('the demo generator made no patient at the first hospital');
  const existing = await system.records.sourceIdOf(first.orgId, 'Patient', demoPatient);
  if (existing !== undefined) return { demoPatientRef: `Patient/${existing}` };
  const baseUrl = `${system.config.publicUrl}/fhir`;
  for (const hospital of hospitals) {
    const generated = region.hospitals.find((h) => h.id === hospital.id)!;
    const access = { principal: seeder(system.tenantId, hospital.orgId) };
    for (const bundle of [generated.directoryBundle, ...generated.bundles]) {
      await system.guard.bundle(access, bundle, { baseUrl });
    }
  }
  const clinician = carerOf(region.manifest, first.id, demoPatient, 'doctor');
  const nurse = carerOf(region.manifest, first.id, demoPatient, 'nurse');
  if (clinician) {
    const ward = wardOf(region.manifest, first.id, demoPatient, clinician);
    await admitToWard(system, first, ward, [clinician, nurse]);
  }
  await system.records.refreshStatistics();
  const stored = await system.records.sourceIdOf(first.orgId, 'Patient', demoPatient);
  return {
    demoPatientRef: stored === undefined ? undefined : `Patient/${stored}`,
    carers: { clinician: clinician && asCarer(clinician), nurse: nurse && asCarer(nurse) },
  };
}

const asCarer = (member: StaffMember): DemoCarer => ({
  licence: member.licenseNumber,
  department: member.departmentZh,
});

/**
 * The generated patients (ids in the generated bundles) on the demo clinician's ward: the demo
 * patient and others the clinician has treated at the hospital, in the manifest's order.
 */
function wardOf(
  manifest: RegionManifest,
  hospitalId: string,
  demoPatient: string,
  clinician: StaffMember,
): string[] {
  const treated = manifest.patients
    .flatMap((p) => p.hospitals)
    .filter((stay) => stay.hospitalId === hospitalId && stay.careTeam.includes(clinician.key))
    .map((stay) => stay.patientId)
    .filter((id) => id !== demoPatient);
  return [demoPatient, ...treated].slice(0, DEMO_WARD_SIZE);
}

/**
 * Admits the ward's patients now, the demo clinician and nurse attending. The generated visits lie
 * in the generator's past (its fixed clock keeps the region the same at every fresh start), and a
 * care relationship from an encounter ends `careWindowDays` after it: a stay still under way keeps
 * the demo logins treating these patients however long the demo's data is kept.
 */
async function admitToWard(
  system: System,
  hospital: DemoHospital,
  ward: readonly string[],
  attending: readonly (StaffMember | undefined)[],
): Promise<void> {
  const now = system.clock.now();
  const participant = attending
    .filter((m) => m !== undefined)
    .map((m) => ({
      individual: {
        reference: `Practitioner?identifier=${CN_PRACTITIONER_LICENSE_SYSTEM}|${m.licenseNumber}`,
      },
    }));
  const entry = [];
  for (const [i, generatedId] of ward.entries()) {
    const stored = await system.records.sourceIdOf(hospital.orgId, 'Patient', generatedId);
    if (stored === undefined) continue;
    const resource = {
      resourceType: 'Encounter',
      status: 'in-progress',
      class: { system: ACT_CODE_SYSTEM, code: 'IMP', display: 'inpatient encounter' },
      subject: { reference: `Patient/${stored}` },
      participant,
      // Admitted over the last days, a few hours apart.
      period: { start: new Date(now - (i + 1) * 20 * HOUR_MS).toISOString() },
    };
    entry.push({ resource, request: { method: 'POST', url: 'Encounter' } });
  }
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry };
  const access = { principal: seeder(system.tenantId, hospital.orgId) };
  await system.guard.bundle(access, bundle, { baseUrl: `${system.config.publicUrl}/fhir` });
}

/**
 * A doctor or nurse on the demo patient's care team at the hospital: the demo logins are these
 * generated staff, so their care relationships come from the records, as in a real hospital.
 */
function carerOf(
  manifest: RegionManifest,
  hospitalId: string,
  patientId: string,
  role: 'doctor' | 'nurse',
): StaffMember | undefined {
  const hospital = manifest.hospitals.find((h) => h.id === hospitalId);
  const team = manifest.patients
    .flatMap((p) => p.hospitals)
    .find((stay) => stay.hospitalId === hospitalId && stay.patientId === patientId)?.careTeam;
  return hospital?.staff.find((s) => s.role === role && team?.includes(s.key));
}

/** A patient of the first hospital who is also seen at a second one, so the demo shows the index. */
function pickDemoPatient(manifest: RegionManifest, hospitalId: string): string | undefined {
  const shared = manifest.patients.find(
    (p) => p.kind === 'zh' && p.hospitals.length > 1 && p.hospitals[0]!.hospitalId === hospitalId,
  );
  const any = manifest.patients.find((p) => p.hospitals.some((h) => h.hospitalId === hospitalId));
  return (shared ?? any)?.hospitals.find((h) => h.hospitalId === hospitalId)?.patientId;
}
