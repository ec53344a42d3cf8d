import type { OrgId, TenantId } from '../core/index.js';
import { servicePrincipal, type Principal } from '../identity/index.js';
import { generateRegion, type HospitalSpec, type RegionManifest } from '../synth/index.js';
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
  await system.records.refreshStatistics();
  const stored = await system.records.sourceIdOf(first.orgId, 'Patient', demoPatient);
  return {
    demoPatientRef: stored === undefined ? undefined : `Patient/${stored}`,
    carers: {
      clinician: carerOf(region.manifest, first.id, demoPatient, 'doctor'),
      nurse: carerOf(region.manifest, first.id, demoPatient, 'nurse'),
    },
  };
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
): DemoCarer | undefined {
  const hospital = manifest.hospitals.find((h) => h.id === hospitalId);
  const team = manifest.patients
    .flatMap((p) => p.hospitals)
    .find((stay) => stay.hospitalId === hospitalId && stay.patientId === patientId)?.careTeam;
  const member = hospital?.staff.find((s) => s.role === role && team?.includes(s.key));
  return member && { licence: member.licenseNumber, department: member.departmentZh };
}

/** A patient of the first hospital who is also seen at a second one, so the demo shows the index. */
function pickDemoPatient(manifest: RegionManifest, hospitalId: string): string | undefined {
  const shared = manifest.patients.find(
    (p) => p.kind === 'zh' && p.hospitals.length > 1 && p.hospitals[0]!.hospitalId === hospitalId,
  );
  const any = manifest.patients.find((p) => p.hospitals.some((h) => h.hospitalId === hospitalId));
  return (shared ?? any)?.hospitals.find((h) => h.hospitalId === hospitalId)?.patientId;
}
