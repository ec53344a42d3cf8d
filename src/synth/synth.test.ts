import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCustodiaError, isValidResidentId, parseResidentId } from '../core/index.js';
import { schemaErrors } from './fhir-schema.testing.js';
import {
  CN_MEDICAL_INSURANCE_SYSTEM,
  CN_RESIDENT_ID_SYSTEM,
  COMPOUND_SURNAMES,
  DEMO_HOSPITALS,
  DIVISIONS,
  LOINC_SYSTEM,
  Random,
  US_SSN_SYSTEM,
  divisionByCode,
  generatePatients,
  generateRegion,
  isChineseMobile,
  isUsPhone,
  isValidUscc,
  mrnSystem,
  toNdjson,
  usccCheckChar,
  type FhirResource,
  type Identifier,
  type Region,
  type TransactionBundle,
} from './index.js';

const OPTIONS = { seed: 7, patients: 200, hospitals: DEMO_HOSPITALS } as const;
const region = generateRegion(OPTIONS);
const allBundles = region.hospitals.flatMap((h) => h.bundles);
const resources = (type: string, bundles: readonly TransactionBundle[] = allBundles) =>
  bundles.flatMap((b) => b.entry.map((e) => e.resource).filter((r) => r.resourceType === type));
const identifiersOf = (r: FhirResource) => (r['identifier'] as Identifier[] | undefined) ?? [];
const identifierValue = (r: FhirResource, system: string) =>
  identifiersOf(r).find((i) => i.system === system)?.value;

/** Every `reference` string anywhere inside a value. */
function references(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) references(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  return out;
}

describe('synthetic Chinese patients', () => {
  const chinese = region.manifest.patients.filter((p) => p.kind === 'zh');

  it('have valid resident IDs whose sex and birth date agree with the record', () => {
    assert.ok(chinese.length > 150);
    for (const p of chinese) {
      const parts = parseResidentId(p.residentId!);
      assert.ok(parts, `invalid resident ID ${p.residentId}`);
      assert.equal(parts.sex, p.gender, `${p.key}: sex in ID`);
      assert.equal(parts.birthDate, p.birthDate, `${p.key}: birth date in ID`);
      assert.ok(
        divisionByCode(parts.divisionCode),
        `${p.key}: division ${parts.divisionCode} is in the table`,
      );
    }
    for (const patient of resources('Patient')) {
      const id = identifierValue(patient, CN_RESIDENT_ID_SYSTEM);
      if (id === undefined) continue;
      const parts = parseResidentId(id)!;
      assert.equal(parts.sex, patient['gender']);
      assert.equal(parts.birthDate, patient['birthDate']);
    }
  });

  it('never share a resident ID between two different people', () => {
    const ids = chinese.map((p) => p.residentId);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('have realistic names: family + given = text, 1-2 given characters, compound surnames present', () => {
    for (const patient of resources('Patient')) {
      if (!identifierValue(patient, CN_RESIDENT_ID_SYSTEM)) continue;
      const [name] = patient['name'] as { use: string; text: string; family: string; given: string[] }[];
      assert.equal(name!.use, 'official');
      assert.equal(name!.family + name!.given.join(''), name!.text);
      assert.match(name!.family, /^\p{Script=Han}{1,2}$/u);
      assert.match(name!.given[0]!, /^\p{Script=Han}{1,2}$/u);
    }
    // Compound surnames are rare (about 1 in 400); a larger population must hold some.
    const many = [...generatePatients({ ...OPTIONS, patients: 3000, englishFraction: 0, sharedFraction: 0 })];
    const compound = many.filter((g) => COMPOUND_SURNAMES.has(g.patient.family));
    assert.ok(compound.length >= 2, `only ${compound.length} compound surnames in 3000`);
    assert.ok(
      compound.every((g) => g.patient.name.startsWith(g.patient.family) && g.patient.family.length === 2),
    );
  });

  it('have valid mainland mobile numbers and addresses that match a real division', () => {
    for (const p of chinese) {
      assert.ok(isChineseMobile(p.phone), p.phone);
      if (p.contactPhone) assert.ok(isChineseMobile(p.contactPhone), p.contactPhone);
    }
    for (const patient of resources('Patient')) {
      if (!identifierValue(patient, CN_RESIDENT_ID_SYSTEM)) continue;
      const [address] = patient['address'] as {
        text: string;
        state: string;
        city: string;
        district: string;
      }[];
      const division = DIVISIONS.find((d) => d.district === address!.district && d.city === address!.city);
      assert.ok(division, `no division for ${address!.text}`);
      assert.equal(address!.state, division.province);
      assert.ok(address!.text.includes(division.district) && /\d+号/.test(address!.text), address!.text);
      const [telecom] = patient['telecom'] as { value: string }[];
      assert.ok(isChineseMobile(telecom!.value));
      assert.match(identifierValue(patient, CN_MEDICAL_INSURANCE_SYSTEM)!, /^[A-Z]\d{8}$/);
    }
  });
});

describe('synthetic English-speaking patients', () => {
  const english = region.manifest.patients.filter((p) => p.kind === 'en');

  it('are about the requested share, with SSNs, US phones and US addresses with ZIP codes', () => {
    assert.equal(english.length, 30); // 15% of 200, spread evenly
    for (const p of english) {
      assert.match(p.ssn!, /^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/);
      assert.ok(isUsPhone(p.phone), p.phone);
      assert.match(p.address, /, [A-Z]{2} \d{5}$/);
      assert.equal(p.residentId, undefined);
    }
    const withSsn = resources('Patient').filter((r) => identifierValue(r, US_SSN_SYSTEM));
    assert.ok(withSsn.length >= english.length);
    for (const r of withSsn) assert.equal((r['address'] as { country: string }[])[0]!.country, 'US');
  });
});

describe('hospitals', () => {
  it('are Organizations with valid unified social credit codes, and staff rosters in the manifest', () => {
    for (const h of region.manifest.hospitals) {
      assert.ok(isValidUscc(h.uscc), h.uscc);
      assert.equal(h.uscc.slice(2, 8), h.divisionCode);
      const doctors = h.staff.filter((s) => s.role === 'doctor');
      const nurses = h.staff.filter((s) => s.role === 'nurse');
      assert.ok(doctors.length >= 10 && nurses.length >= 5);
      assert.equal(new Set(h.staff.map((s) => s.key)).size, h.staff.length);
      assert.ok(h.staff.every((s) => s.departmentZh.length > 0 && /^\d{12,15}$/.test(s.licenseNumber)));
    }
    const directory = region.hospitals[0]!.directoryBundle;
    assert.equal(
      directory.entry.filter((e) => e.resource.resourceType === 'Practitioner').length,
      region.manifest.hospitals[0]!.staff.length,
    );
  });

  it('treat patients through their own staff: care teams name roster members who appear in the bundle', () => {
    for (const p of region.manifest.patients)
      for (const stay of p.hospitals) {
        const roster = new Map(
          region.manifest.hospitals.find((h) => h.id === stay.hospitalId)!.staff.map((s) => [s.key, s]),
        );
        const bundle = region.hospitals
          .find((h) => h.id === stay.hospitalId)!
          .bundles.find((b) => b.entry.some((e) => e.resource.id === stay.patientId))!;
        const inBundle = new Set(resources('Practitioner', [bundle]).map((r) => r.id));
        assert.ok(stay.careTeam.length > 0);
        for (const key of stay.careTeam) assert.ok(inBundle.has(roster.get(key)!.id), `${key} in bundle`);
        assert.equal(resources('Encounter', [bundle]).length, stay.encounters);
      }
  });

  it('reject a USCC with any single character changed', () => {
    const code = region.manifest.hospitals[0]!.uscc;
    fc.assert(
      fc.property(fc.nat(17), fc.constantFrom(...'0123456789ABCDEFGHJKLMNPQRTUWXY'), (i, c) => {
        fc.pre(code[i] !== c);
        return !isValidUscc(code.slice(0, i) + c + code.slice(i + 1));
      }),
    );
    assert.equal(usccCheckChar(code.slice(0, 17)), code[17]);
  });
});

describe('transaction bundles', () => {
  it('validate against the official FHIR R4 JSON schema, bundle and every resource', () => {
    const failures: string[] = [];
    for (const h of region.hospitals)
      for (const bundle of [h.directoryBundle, ...h.bundles]) {
        failures.push(...schemaErrors(bundle));
        for (const entry of bundle.entry) failures.push(...schemaErrors(entry.resource));
      }
    assert.deepEqual(failures.slice(0, 10), []);
  });

  it('the schema check can fail', () => {
    const patient = structuredClone(resources('Patient')[0]!);
    patient['birthDate'] = '1990-13-45';
    assert.notDeepEqual(schemaErrors(patient), []);
  });

  it('resolve every reference inside the bundle, with unique urn:uuid fullUrls', () => {
    for (const bundle of allBundles) {
      const fullUrls = bundle.entry.map((e) => e.fullUrl);
      assert.equal(new Set(fullUrls).size, fullUrls.length);
      assert.ok(
        fullUrls.every((u) =>
          /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(u),
        ),
      );
      const known = new Set(fullUrls);
      for (const ref of references(bundle.entry.map((e) => e.resource)))
        assert.ok(known.has(ref), `dangling ${ref}`);
    }
  });

  it('POST every entry conditionally on an identifier the resource carries', () => {
    for (const bundle of allBundles)
      for (const { resource, request, fullUrl } of bundle.entry) {
        assert.equal(request.method, 'POST');
        assert.equal(request.url, resource.resourceType);
        assert.equal(fullUrl, `urn:uuid:${resource.id}`);
        const [, system, value] = /^identifier=(.+)\|([^|]+)$/.exec(request.ifNoneExist ?? '') ?? [];
        assert.ok(
          identifiersOf(resource).some((i) => i.system === system && i.value === value),
          request.ifNoneExist,
        );
      }
  });

  it('hold the clinical content the brief promises', () => {
    const types = region.manifest.counts.resourcesByType;
    for (const type of [
      'Patient',
      'Encounter',
      'Condition',
      'Observation',
      'MedicationRequest',
      'AllergyIntolerance',
      'Immunization',
      'Procedure',
      'DiagnosticReport',
      'DocumentReference',
      'Organization',
      'Practitioner',
    ])
      assert.ok((types[type] ?? 0) > 0, `no ${type}`);
    for (const p of region.manifest.patients)
      for (const stay of p.hospitals) assert.ok(stay.encounters >= 1 && stay.encounters <= 8);
    const classes = new Set(resources('Encounter').map((e) => (e['class'] as { code: string }).code));
    assert.deepEqual([...classes].sort(), ['AMB', 'EMER', 'IMP']);
    const sensitive = new Set(region.manifest.patients.flatMap((p) => p.sensitive));
    for (const category of ['hiv', 'mental-health', 'reproductive', 'substance-use'])
      assert.ok(sensitive.has(category as never), category);
  });

  it('correlate measurements with conditions', () => {
    const byPatient = new Map<string, FhirResource[]>();
    for (const obs of resources('Observation')) {
      const subject = (obs['subject'] as { reference: string }).reference;
      byPatient.set(subject, [...(byPatient.get(subject) ?? []), obs]);
    }
    const values = (keys: string[], code: string, pick: (o: FhirResource) => number | undefined) => {
      const out: number[] = [];
      for (const p of region.manifest.patients.filter((p) =>
        keys.every((k) =>
          k.startsWith('!') ? !p.conditions.includes(k.slice(1)) : p.conditions.includes(k),
        ),
      ))
        for (const stay of p.hospitals)
          for (const o of byPatient.get(`urn:uuid:${stay.patientId}`) ?? []) {
            const coding = (o['code'] as { coding: { code: string }[] }).coding[0]!;
            const v = coding.code === code ? pick(o) : undefined;
            if (v !== undefined) out.push(v);
          }
      return out;
    };
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const systolic = (o: FhirResource) =>
      (o['component'] as { code: { coding: { code: string }[] }; valueQuantity: { value: number } }[]).find(
        (c) => c.code.coding[0]!.code === '8480-6',
      )!.valueQuantity.value;
    const quantity = (o: FhirResource) => (o['valueQuantity'] as { value: number }).value;
    assert.ok(
      mean(values(['hypertension'], '85354-9', systolic)) >
        mean(values(['!hypertension'], '85354-9', systolic)) + 15,
    );
    const a1cDiabetic = values(['diabetes'], '4548-4', quantity);
    assert.ok(a1cDiabetic.length > 0 && a1cDiabetic.every((v) => v >= 6.5));
    assert.ok(values(['!diabetes'], '4548-4', quantity).every((v) => v < 6.5));
    // People living with HIV test positive; everyone else who is screened tests negative.
    for (const obs of resources('Observation').filter(
      (o) => (o['code'] as { coding: { code: string; system: string }[] }).coding[0]!.code === '56888-1',
    )) {
      const subject = (obs['subject'] as { reference: string }).reference;
      const person = region.manifest.patients.find((p) =>
        p.hospitals.some((s) => `urn:uuid:${s.patientId}` === subject),
      )!;
      const positive =
        (obs['valueCodeableConcept'] as { coding: { code: string }[] }).coding[0]!.code === '10828004';
      assert.equal(positive, person.sensitive.includes('hiv'));
      assert.equal((obs['code'] as { coding: { system: string }[] }).coding[0]!.system, LOINC_SYSTEM);
    }
  });

  it('carry clinical notes that mention the patient by name, phone and date', () => {
    const docs = resources('DocumentReference');
    assert.ok(docs.length > 20);
    for (const doc of docs) {
      const subject = (doc['subject'] as { reference: string }).reference;
      const person = region.manifest.patients.find((p) =>
        p.hospitals.some((s) => `urn:uuid:${s.patientId}` === subject),
      )!;
      const attachment = (doc['content'] as { attachment: { data: string; language: string } }[])[0]!
        .attachment;
      const text = Buffer.from(attachment.data, 'base64').toString('utf8');
      assert.ok(text.includes(person.name) && text.includes(person.phone), text);
      assert.ok(text.includes(person.residentId ?? person.ssn!));
      assert.equal(attachment.language, person.kind === 'zh' ? 'zh-CN' : 'en-US');
    }
  });
});

describe('shared patients', () => {
  it('are the requested share, each at exactly two hospitals', () => {
    const shared = region.manifest.patients.filter((p) => p.shared);
    assert.equal(shared.length, 20);
    assert.deepEqual(
      region.manifest.sharedPatients,
      shared.map((p) => p.key),
    );
    for (const p of region.manifest.patients) assert.equal(p.hospitals.length, p.shared ? 2 : 1);
  });

  it('carry the same resident ID (or SSN) and name at both hospitals, with different MRNs and encounters', () => {
    for (const p of region.manifest.patients.filter((p) => p.shared)) {
      const [a, b] = p.hospitals.map((stay) => {
        const bundle = region.hospitals
          .find((h) => h.id === stay.hospitalId)!
          .bundles.find((bb) => bb.entry.some((e) => e.resource.id === stay.patientId))!;
        const patient = resources('Patient', [bundle])[0]!;
        return {
          stay,
          strong: identifierValue(patient, CN_RESIDENT_ID_SYSTEM) ?? identifierValue(patient, US_SSN_SYSTEM),
          mrn: identifierValue(patient, mrnSystem(stay.hospitalId)),
          name: (patient['name'] as { text: string }[])[0]!.text,
          encounters: new Set(resources('Encounter', [bundle]).map((e) => e.id)),
        };
      });
      assert.notEqual(a!.stay.hospitalId, b!.stay.hospitalId);
      assert.equal(a!.strong, p.residentId ?? p.ssn);
      assert.equal(a!.strong, b!.strong);
      assert.equal(a!.name, b!.name);
      assert.equal(a!.mrn, a!.stay.mrn);
      assert.notEqual(mrnSystem(a!.stay.hospitalId), mrnSystem(b!.stay.hospitalId));
      assert.ok([...a!.encounters].every((id) => !b!.encounters.has(id)));
    }
  });

  it('are the only people whose strong identifier appears at two hospitals', () => {
    const where = new Map<string, Set<string>>();
    for (const h of region.hospitals)
      for (const patient of resources('Patient', h.bundles)) {
        const id =
          identifierValue(patient, CN_RESIDENT_ID_SYSTEM) ?? identifierValue(patient, US_SSN_SYSTEM)!;
        where.set(id, (where.get(id) ?? new Set()).add(h.id));
      }
    const multi = [...where]
      .filter(([, hs]) => hs.size > 1)
      .map(([id]) => id)
      .sort();
    const expected = region.manifest.patients
      .filter((p) => p.shared)
      .map((p) => p.residentId ?? p.ssn!)
      .sort();
    assert.deepEqual(multi, expected);
  });
});

describe('determinism', () => {
  const serialize = (r: Region) => JSON.stringify(r);

  it('gives byte-identical output for the same seed, and different output for another seed', () => {
    const again = generateRegion(OPTIONS);
    assert.equal(serialize(again), serialize(region));
    const other = generateRegion({ ...OPTIONS, seed: 8 });
    assert.notEqual(serialize(other), serialize(region));
    const otherIds = new Set(other.manifest.patients.map((p) => p.residentId));
    assert.ok(region.manifest.patients.filter((p) => p.residentId && otherIds.has(p.residentId)).length < 3);
  });

  it('does not depend on the wall clock, only on `now`', () => {
    const later = generateRegion({ ...OPTIONS, patients: 20, now: '2030-06-01T00:00:00Z' });
    const base = generateRegion({ ...OPTIONS, patients: 20 });
    assert.notEqual(serialize(later), serialize(base));
    for (const e of resources(
      'Encounter',
      later.hospitals.flatMap((h) => h.bundles),
    )) {
      const end = Date.parse((e['period'] as { end: string }).end);
      assert.ok(end <= Date.parse('2030-06-01T00:00:00Z'));
    }
  });

  it('streams the same people as the region, and a prefix of a longer stream equals a shorter one', () => {
    const streamed = [...generatePatients(OPTIONS)];
    assert.deepEqual(
      streamed.map((g) => g.patient),
      region.manifest.patients,
    );
    const short = [...generatePatients({ ...OPTIONS, patients: 50 })];
    assert.equal(JSON.stringify(short), JSON.stringify(streamed.slice(0, 50)));
  });

  it('draws identical streams for identical seeds and labels (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.string()), fc.string(), (seed, label) => {
        const a = Random.derive(seed, label);
        const b = Random.derive(seed, label);
        for (let i = 0; i < 8; i++) if (a.uint32() !== b.uint32()) return false;
        return a.uuid() === b.uuid();
      }),
    );
  });
});

describe('NDJSON', () => {
  it('emits one resource per line with Type/id references that resolve, the directory once', () => {
    const lines = [...toNdjson(region.hospitals[0]!.bundles)];
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const parsed = lines.map((l) => JSON.parse(l) as FhirResource);
    const ids = new Set(parsed.map((r) => `${r.resourceType}/${r.id}`));
    assert.equal(ids.size, parsed.length);
    for (const ref of references(parsed)) assert.ok(ids.has(ref), `dangling ${ref}`);
    assert.equal(parsed.filter((r) => r.resourceType === 'Organization').length, 1);
  });
});

describe('options', () => {
  it('refer to the directory conditionally when it is left out of patient bundles', () => {
    const lean = generateRegion({ ...OPTIONS, patients: 10, includeDirectory: false });
    for (const bundle of lean.hospitals.flatMap((h) => h.bundles)) {
      assert.ok(
        bundle.entry.every((e) => !['Organization', 'Practitioner'].includes(e.resource.resourceType)),
      );
      const refs = references(bundle.entry.map((e) => e.resource));
      assert.ok(refs.some((r) => r.startsWith('Organization?identifier=')));
      assert.ok(
        refs.every(
          (r) => r.startsWith('urn:uuid:') || /^(Organization|Practitioner)\?identifier=.+\|.+$/.test(r),
        ),
      );
    }
  });

  it('are checked, with errors in English and Chinese', () => {
    const bad = [
      { ...OPTIONS, patients: -1 },
      { ...OPTIONS, sharedFraction: 1.5 },
      { ...OPTIONS, hospitals: [] },
      { ...OPTIONS, hospitals: [DEMO_HOSPITALS[0]!] },
      { ...OPTIONS, hospitals: [DEMO_HOSPITALS[0]!, DEMO_HOSPITALS[0]!] },
      { ...OPTIONS, now: 'not a date' },
      { ...OPTIONS, hospitals: [{ ...DEMO_HOSPITALS[0]!, divisionCode: '1101' }, DEMO_HOSPITALS[1]!] },
    ];
    for (const options of bad)
      assert.throws(
        () => generateRegion(options),
        (e: unknown) => isCustodiaError(e) && e.status === 400 && typeof e.zh === 'string',
      );
    // A district outside the bundled table still works: addresses fall back to the same province.
    const far = generateRegion({
      ...OPTIONS,
      patients: 5,
      hospitals: [
        { id: 'xj', name: 'Urumqi Demo Hospital', nameZh: '乌鲁木齐示范医院', divisionCode: '650102' },
      ],
      sharedFraction: 0,
    });
    assert.ok(isValidUscc(far.manifest.hospitals[0]!.uscc));
    // One hospital is fine without shared patients.
    const single = generateRegion({
      ...OPTIONS,
      patients: 5,
      hospitals: [DEMO_HOSPITALS[0]!],
      sharedFraction: 0,
    });
    assert.equal(single.manifest.patients.length, 5);
    assert.ok(
      single.manifest.patients.every((p) => p.residentId === undefined || isValidResidentId(p.residentId)),
    );
  });
});
