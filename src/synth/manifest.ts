import type { RegionManifest } from './generate.js';

/** Who treats whom: one row per (staff member, patient, hospital), for demo care relationships. */
export interface CareRelationship {
  staffKey: string;
  hospitalId: string;
  patientKey: string;
  /** The Patient resource id at that hospital. */
  patientId: string;
}

export function careRelationships(manifest: Pick<RegionManifest, 'patients'>): CareRelationship[] {
  return manifest.patients.flatMap((p) =>
    p.hospitals.flatMap((stay) =>
      stay.careTeam.map((staffKey) => ({
        staffKey,
        hospitalId: stay.hospitalId,
        patientKey: p.key,
        patientId: stay.patientId,
      })),
    ),
  );
}

/**
 * Every identifying string of the generated patients (names, resident IDs, SSNs, MRNs, insurance
 * numbers, phones, addresses, emergency contacts), deduplicated: what a byte scan of the database
 * must never find in plaintext.
 */
export function identifyingStrings(manifest: Pick<RegionManifest, 'patients'>): string[] {
  const out = new Set<string>();
  for (const p of manifest.patients) {
    for (const value of [
      p.name,
      p.residentId,
      p.ssn,
      p.insuranceNumber,
      p.phone,
      p.address,
      p.contactName,
      p.contactPhone,
    ])
      if (value) out.add(value);
    for (const stay of p.hospitals) out.add(stay.mrn);
  }
  return [...out];
}
