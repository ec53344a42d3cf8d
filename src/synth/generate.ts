import { Faker, base, en, en_US } from '@faker-js/faker';
import { badRequest } from '../core/index.js';
import type { SensitiveCategory } from './catalog.js';
import type { TransactionBundle } from './fhir-types.js';
import {
  hospitalDirectory,
  type HospitalDirectory,
  type HospitalSpec,
  type StaffMember,
} from './hospital.js';
import { directoryEntry } from './bundle.js';
import { chinesePerson, englishPerson, type Person } from './person.js';
import { Random } from './random.js';
import { buildRecord, type HospitalStay } from './record.js';

export interface RegionOptions {
  /** Same seed, same bytes. Default 1. */
  seed?: number | string;
  /** How many people to make. Default 200. */
  patients?: number;
  hospitals: readonly HospitalSpec[];
  /** Share of people who are patients at two hospitals. Default 0.1. */
  sharedFraction?: number;
  /** Share of English-speaking people (US names, SSN, US address). Default 0.15. */
  englishFraction?: number;
  /** The present moment, which histories end before. Default 2026-01-01T00:00:00Z (never the clock). */
  now?: number | Date | string;
  /**
   * Put the hospital's Organization and the Practitioners a patient saw into each patient bundle, so
   * every reference resolves inside the bundle (default). With `false`, bundles refer to them by
   * conditional references (`Organization?identifier=...`) and the directory bundle must go first.
   */
  includeDirectory?: boolean;
}

/** One person as the manifest describes them: the key facts a test needs to find them again. */
export interface ManifestPatient {
  key: string;
  kind: 'zh' | 'en';
  name: string;
  family: string;
  given: string[];
  gender: 'male' | 'female';
  birthDate: string;
  residentId?: string;
  ssn?: string;
  insuranceNumber?: string;
  phone: string;
  address: string;
  contactName?: string;
  contactPhone?: string;
  homeHospitalId: string;
  shared: boolean;
  conditions: string[];
  sensitive: SensitiveCategory[];
  hospitals: HospitalStay[];
}

export interface GeneratedPatient {
  patient: ManifestPatient;
  /** One transaction Bundle per hospital the person is a patient at. */
  records: { hospitalId: string; bundle: TransactionBundle }[];
}

export interface ManifestHospital extends HospitalSpec {
  uscc: string;
  organizationId: string;
  staff: StaffMember[];
  patients: number;
}

export interface RegionManifest {
  seed: number | string;
  now: string;
  hospitals: ManifestHospital[];
  patients: ManifestPatient[];
  /** Keys of the people who are patients at two hospitals. */
  sharedPatients: string[];
  counts: { patients: number; bundles: number; resources: number; resourcesByType: Record<string, number> };
}

export interface RegionHospital {
  id: string;
  /** The Organization and all its Practitioners, for loading the staff roster first. */
  directoryBundle: TransactionBundle;
  /** One transaction Bundle per patient of this hospital. */
  bundles: TransactionBundle[];
}

export interface Region {
  hospitals: RegionHospital[];
  manifest: RegionManifest;
}

interface Settings {
  seed: number | string;
  patients: number;
  hospitals: readonly HospitalSpec[];
  sharedFraction: number;
  englishFraction: number;
  now: number;
  includeDirectory: boolean;
}

const DEFAULT_NOW = Date.UTC(2026, 0, 1);

function settings(options: RegionOptions): Settings {
  const patients = options.patients ?? 200;
  if (!Number.isSafeInteger(patients) || patients < 0)
    throw badRequest(`patients must be a non-negative integer, got ${patients}`, {
      zh: `患者数必须是非负整数，收到 ${patients}`,
      path: 'patients',
    });
  const fraction = (name: string, value: number) => {
    if (!(value >= 0 && value <= 1))
      throw badRequest(`${name} must be between 0 and 1, got ${value}`, {
        zh: `${name} 必须在0到1之间，收到 ${value}`,
        path: name,
      });
    return value;
  };
  const hospitals = options.hospitals;
  if (!Array.isArray(hospitals) || hospitals.length === 0)
    throw badRequest('at least one hospital is needed', {
      zh: '至少需要一家医院',
      hint: 'pass hospitals: [{ id, name, nameZh, divisionCode }]',
      path: 'hospitals',
    });
  const ids = new Set(hospitals.map((h) => h.id));
  if (ids.size !== hospitals.length)
    throw badRequest('hospital ids must be unique', { zh: '医院标识不能重复', path: 'hospitals[].id' });
  const sharedFraction = fraction('sharedFraction', options.sharedFraction ?? 0.1);
  if (sharedFraction > 0 && hospitals.length < 2)
    throw badRequest('shared patients need at least two hospitals', {
      zh: '跨院患者至少需要两家医院',
      hint: 'add a hospital or set sharedFraction: 0',
      path: 'sharedFraction',
    });
  const now = options.now === undefined ? DEFAULT_NOW : new Date(options.now).getTime();
  if (!Number.isFinite(now))
    throw badRequest(`now is not a valid date: ${String(options.now)}`, {
      zh: `now 不是有效日期：${String(options.now)}`,
      path: 'now',
    });
  return {
    seed: options.seed ?? 1,
    patients,
    hospitals,
    sharedFraction,
    englishFraction: fraction('englishFraction', options.englishFraction ?? 0.15),
    now,
    includeDirectory: options.includeDirectory ?? true,
  };
}

/**
 * Spreads a share evenly over the sequence (a low-discrepancy rule rather than coin flips), so that
 * 200 patients at 0.1 give exactly 20 shared ones, and every prefix of the stream holds its share.
 */
const selected = (index: number, share: number, phase: number): boolean =>
  Math.floor((index + 1) * share + phase) > Math.floor(index * share + phase);

/**
 * People one at a time, each with one transaction Bundle per hospital they attend. Memory stays flat
 * in the number of people, apart from the set of issued identifiers that keeps them unique.
 */
export function* generatePatients(options: RegionOptions): Generator<GeneratedPatient, void, undefined> {
  const s = settings(options);
  const directories = s.hospitals.map((spec) => hospitalDirectory(s.seed, spec));
  yield* patientsFrom(s, directories);
}

function* patientsFrom(
  s: Settings,
  directories: HospitalDirectory[],
): Generator<GeneratedPatient, void, undefined> {
  const faker = new Faker({ locale: [en_US, en, base] });
  const phases = Random.derive(s.seed, 'phases');
  const englishPhase = phases.next();
  const sharedPhase = phases.next();
  const issued = new Set<string>();
  const mrnNext = directories.map((d) => Random.derive(s.seed, 'mrn', d.spec.id).int(1_000_000, 4_999_999));

  for (let index = 0; index < s.patients; index++) {
    const random = Random.derive(s.seed, 'patient', index);
    const home = random.int(0, directories.length - 1);
    const shared = directories.length > 1 && selected(index, s.sharedFraction, sharedPhase);
    let second = -1;
    if (shared) {
      second = random.int(0, directories.length - 2);
      if (second >= home) second++;
    }
    const ctx = {
      random,
      key: `p${String(index + 1).padStart(6, '0')}`,
      now: s.now,
      hospitalDivision: directories[home]!.spec.divisionCode,
      issued,
    };
    const person = selected(index, s.englishFraction, englishPhase)
      ? englishPerson(ctx, faker)
      : chinesePerson(ctx);

    // Chronic conditions follow the person to the second hospital more often than not; an acute
    // episode happens at one of the two.
    const seenAt: ConditionSplit = { home: [], second: [] };
    for (const condition of person.conditions) {
      if (second < 0) seenAt.home.push(condition);
      else if (condition.chronic) {
        seenAt.home.push(condition);
        if (random.chance(0.6)) seenAt.second.push(condition);
      } else (random.chance(0.5) ? seenAt.home : seenAt.second).push(condition);
    }

    const records: GeneratedPatient['records'] = [];
    const stays: HospitalStay[] = [];
    for (const [h, conditions] of [
      [home, seenAt.home],
      [second, seenAt.second],
    ] as const) {
      if (h < 0) continue;
      const directory = directories[h]!;
      const { bundle, stay } = buildRecord({
        random: Random.derive(s.seed, 'record', index, directory.spec.id),
        person,
        directory,
        mrn: String(mrnNext[h]!++),
        now: s.now,
        conditions,
        includeDirectory: s.includeDirectory,
      });
      records.push({ hospitalId: directory.spec.id, bundle });
      stays.push(stay);
    }
    yield { patient: manifestEntry(person, directories[home]!.spec.id, shared, stays), records };
  }
}

interface ConditionSplit {
  home: Person['conditions'];
  second: Person['conditions'];
}

function manifestEntry(
  person: Person,
  homeHospitalId: string,
  shared: boolean,
  stays: HospitalStay[],
): ManifestPatient {
  const entry: ManifestPatient = {
    key: person.key,
    kind: person.kind,
    name: person.name.text,
    family: person.name.family,
    given: person.name.given,
    gender: person.sex,
    birthDate: person.birthDate,
    phone: person.phone,
    address: person.address.text,
    homeHospitalId,
    shared,
    conditions: person.conditions.map((c) => c.key),
    sensitive: [...new Set(person.conditions.flatMap((c) => (c.sensitive ? [c.sensitive] : [])))],
    hospitals: stays,
  };
  if (person.residentId) entry.residentId = person.residentId;
  if (person.ssn) entry.ssn = person.ssn;
  if (person.insuranceNumber) entry.insuranceNumber = person.insuranceNumber;
  if (person.contact) {
    entry.contactName = person.contact.name;
    entry.contactPhone = person.contact.phone;
  }
  return entry;
}

/** A whole region in memory: per hospital its directory and patient bundles, and the manifest. */
export function generateRegion(options: RegionOptions): Region {
  const s = settings(options);
  const directories = s.hospitals.map((spec) => hospitalDirectory(s.seed, spec));
  const hospitals: RegionHospital[] = directories.map((d) => ({
    id: d.spec.id,
    directoryBundle: directoryBundle(s, d),
    bundles: [],
  }));
  const byId = new Map(hospitals.map((h) => [h.id, h]));
  const patients: ManifestPatient[] = [];
  const resourcesByType: Record<string, number> = {};
  let resources = 0;
  for (const { patient, records } of patientsFrom(s, directories)) {
    patients.push(patient);
    for (const { hospitalId, bundle } of records) {
      byId.get(hospitalId)!.bundles.push(bundle);
      for (const entry of bundle.entry) {
        resources++;
        resourcesByType[entry.resource.resourceType] =
          (resourcesByType[entry.resource.resourceType] ?? 0) + 1;
      }
    }
  }
  return {
    hospitals,
    manifest: {
      seed: s.seed,
      now: new Date(s.now).toISOString(),
      hospitals: directories.map((d, i) => ({
        ...d.spec,
        uscc: d.uscc,
        organizationId: d.organization.id,
        staff: d.staff,
        patients: hospitals[i]!.bundles.length,
      })),
      patients,
      sharedPatients: patients.filter((p) => p.shared).map((p) => p.key),
      counts: {
        patients: patients.length,
        bundles: hospitals.reduce((n, h) => n + h.bundles.length, 0),
        resources,
        resourcesByType: Object.fromEntries(
          Object.entries(resourcesByType).sort(([a], [b]) => a.localeCompare(b)),
        ),
      },
    },
  };
}

function directoryBundle(s: Settings, d: HospitalDirectory): TransactionBundle {
  return {
    resourceType: 'Bundle',
    id: Random.derive(s.seed, 'directory', d.spec.id).uuid(),
    type: 'transaction',
    timestamp: new Date(s.now).toISOString(),
    entry: [directoryEntry(d.organization), ...[...d.practitioners.values()].map(directoryEntry)],
  };
}

/** The hospitals of `npm start --demo`: fictional names in three real districts. */
export const DEMO_HOSPITALS: readonly HospitalSpec[] = [
  {
    id: 'bj-chaoyang',
    name: 'Beijing Chaoyang Demonstration Hospital',
    nameZh: '北京朝阳示范医院',
    divisionCode: '110105',
  },
  {
    id: 'sh-xuhui',
    name: 'Shanghai Xuhui Demonstration Hospital',
    nameZh: '上海徐汇示范医院',
    divisionCode: '310104',
  },
  {
    id: 'gz-tianhe',
    name: 'Guangzhou Tianhe Demonstration Hospital',
    nameZh: '广州天河示范医院',
    divisionCode: '440106',
  },
];
