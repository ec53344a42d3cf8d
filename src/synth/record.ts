import {
  DEPARTMENTS,
  IMMUNIZATIONS,
  LOINC,
  PROCEDURES,
  type CodedItem,
  type ConditionDef,
  type DepartmentKey,
  type Medication,
} from './catalog.js';
import { TransactionBuilder, directoryEntry, identifierQuery } from './bundle.js';
import type { BundleEntry, FhirResource, Identifier, Reference, TransactionBundle } from './fhir-types.js';
import type { HospitalDirectory, StaffMember } from './hospital.js';
import { clinicalNote } from './note.js';
import { patientResource, mrnIdentifier } from './patient-resource.js';
import { heightAtAge, type Person } from './person.js';
import { planVisits, type ClassCode, type Visit } from './visits.js';
import type { Random } from './random.js';
import {
  ACT_CODE_SYSTEM,
  CN_ICD10_SYSTEM,
  CVX_SYSTEM,
  ICD10_SYSTEM,
  LOINC_SYSTEM,
  RXNORM_SYSTEM,
  SNOMED_SYSTEM,
  SYNTHETIC_TAG,
  UCUM_SYSTEM,
  hospitalSystem,
  type HospitalRecordKind,
} from './systems.js';
import { DAY_MS, ageAt, dateAt, dateTimeAt } from './time.js';

/** What one hospital holds about one patient, as the manifest reports it. */
export interface HospitalStay {
  hospitalId: string;
  mrn: string;
  /** Patient resource id (and `urn:uuid:` of its fullUrl) in this hospital's bundle. */
  patientId: string;
  encounters: number;
  resources: number;
  /** Condition keys recorded at this hospital. */
  conditions: string[];
  /** Staff keys of the doctors and nurses who treated the patient here. */
  careTeam: string[];
  firstEncounter: string;
  lastEncounter: string;
}

export interface RecordInput {
  random: Random;
  person: Person;
  directory: HospitalDirectory;
  mrn: string;
  now: number;
  /** The person's conditions that this hospital sees. */
  conditions: readonly ConditionDef[];
  /** Put the Organization and the Practitioners in the bundle (self-contained) or refer to them conditionally. */
  includeDirectory: boolean;
}

const CLASS_DISPLAY: Record<ClassCode, string> = {
  AMB: 'ambulatory',
  EMER: 'emergency',
  IMP: 'inpatient encounter',
};
const ENCOUNTER_TYPE: Record<ClassCode | 'checkup', { code: string; display: string; zh: string }> = {
  checkup: { code: '185349003', display: 'Encounter for check up', zh: '健康体检' },
  AMB: { code: '185347001', display: 'Encounter for problem', zh: '门诊' },
  EMER: { code: '50849002', display: 'Emergency room admission', zh: '急诊' },
  IMP: { code: '32485007', display: 'Hospital admission', zh: '住院' },
};

const round1 = (n: number) => Math.round(n * 10) / 10;
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** Builds one hospital's transaction Bundle for one person: their Patient and clinical history. */
export function buildRecord(input: RecordInput): { bundle: TransactionBundle; stay: HospitalStay } {
  return new RecordWriter(input).write();
}

class RecordWriter {
  private readonly tx = new TransactionBuilder();
  private readonly random: Random;
  private readonly person: Person;
  private readonly dir: HospitalDirectory;
  private readonly hospitalId: string;
  private readonly zh: boolean;
  private readonly usedStaff = new Map<string, StaffMember>();
  private readonly conditionRefs = new Map<string, Reference>();
  private patientRef!: Reference;
  private encounterCount = 0;
  private covidGiven = false;
  private pcvGiven = false;

  constructor(private readonly input: RecordInput) {
    this.random = input.random;
    this.person = input.person;
    this.dir = input.directory;
    this.hospitalId = input.directory.spec.id;
    this.zh = input.person.kind === 'zh';
  }

  write(): { bundle: TransactionBundle; stay: HospitalStay } {
    const patientId = this.random.uuid();
    const mrn = mrnIdentifier(this.dir.spec, this.input.mrn, this.orgRef());
    this.patientRef = this.tx.add(patientResource(patientId, this.person, mrn, this.orgRef()), mrn);
    const visits = planVisits(this.random, this.person, this.input.conditions, this.input.now);
    visits.forEach((visit, i) => this.writeEncounter(visit, i === 0));

    const leading: BundleEntry[] = [];
    if (this.input.includeDirectory) {
      leading.push(directoryEntry(this.dir.organization));
      for (const member of this.usedStaff.values())
        leading.push(directoryEntry(this.dir.practitioners.get(member.id)!));
    }
    const bundle = this.tx.build(this.random.uuid(), new Date(this.input.now).toISOString(), leading);
    const offset = this.person.utcOffset;
    return {
      bundle,
      stay: {
        hospitalId: this.hospitalId,
        mrn: this.input.mrn,
        patientId,
        encounters: this.encounterCount,
        resources: bundle.entry.length,
        conditions: [...this.conditionRefs.keys()],
        careTeam: [...this.usedStaff.values()].map((s) => s.key).sort(),
        firstEncounter: dateAt(visits[0]!.start, offset),
        lastEncounter: dateAt(visits[visits.length - 1]!.start, offset),
      },
    };
  }

  // --- references ---------------------------------------------------------------------------

  private orgRef(): Reference {
    const org = this.dir.organization;
    return this.input.includeDirectory
      ? { reference: `urn:uuid:${org.id}`, display: this.dir.spec.nameZh }
      : {
          reference: `Organization?${identifierQuery(this.dir.organizationIdentifier)}`,
          display: this.dir.spec.nameZh,
        };
  }

  private staffRef(member: StaffMember): Reference {
    this.usedStaff.set(member.id, member);
    if (this.input.includeDirectory) return { reference: `urn:uuid:${member.id}`, display: member.name };
    const license = (this.dir.practitioners.get(member.id)!['identifier'] as Identifier[])[0]!;
    return { reference: `Practitioner?${identifierQuery(license)}`, display: member.name };
  }

  private recordIdentifier(kind: HospitalRecordKind, id: string): Identifier {
    return { use: 'official', system: hospitalSystem(this.hospitalId, kind), value: id };
  }

  private add(resource: FhirResource & { id: string }): Reference {
    return this.tx.add(resource, (resource['identifier'] as Identifier[])[0]!);
  }

  private base(resourceType: string, kind: HospitalRecordKind): FhirResource & { id: string } {
    const id = this.random.uuid();
    return {
      resourceType,
      id,
      meta: { tag: [SYNTHETIC_TAG] },
      identifier: [this.recordIdentifier(kind, id)],
    };
  }

  private text(zh: string, en: string): string {
    return this.zh ? zh : en;
  }

  private pickStaff(department: DepartmentKey, role: 'doctor' | 'nurse'): StaffMember {
    const inDept = this.dir.staff.filter((s) => s.department === department && s.role === role);
    return this.random.pick(inDept.length > 0 ? inDept : this.dir.staff.filter((s) => s.role === role));
  }

  private writeEncounter(visit: Visit, firstHere: boolean): void {
    const { random, person } = this;
    const offset = person.utcOffset;
    const doctor = this.pickStaff(visit.department, 'doctor');
    const nurse = this.pickStaff(visit.department, 'nurse');
    const doctorRef = this.staffRef(doctor);
    const nurseRef = visit.classCode === 'AMB' ? undefined : this.staffRef(nurse);
    const dept = DEPARTMENTS[visit.department];
    const start = dateTimeAt(visit.start, offset);
    const age = ageAt(person.birthDate, visit.start);
    const type = ENCOUNTER_TYPE[visit.condition ? visit.classCode : 'checkup'];
    this.encounterCount++;

    const encounter = this.base('Encounter', 'encounter');
    Object.assign(encounter, {
      status: 'finished',
      class: { system: ACT_CODE_SYSTEM, code: visit.classCode, display: CLASS_DISPLAY[visit.classCode] },
      type: [
        {
          coding: [{ system: SNOMED_SYSTEM, code: type.code, display: type.display }],
          text: this.text(type.zh, type.display),
        },
      ],
      serviceType: { text: this.text(dept.zh, dept.en) },
      subject: this.patientRef,
      participant: [
        {
          type: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
                  code: 'ATND',
                  display: 'attender',
                },
              ],
            },
          ],
          individual: doctorRef,
        },
        ...(nurseRef ? [{ individual: nurseRef }] : []),
      ],
      period: { start, end: dateTimeAt(visit.end, offset) },
    });
    const encounterRef = this.add(encounter);

    // Diagnosis: a new Condition on first sight, the same one at follow-ups.
    let conditionRef: Reference | undefined;
    if (visit.condition) {
      conditionRef = this.conditionRefs.get(visit.condition.key);
      if (!conditionRef) {
        conditionRef = this.writeCondition(visit.condition, encounterRef, doctorRef, visit);
        this.conditionRefs.set(visit.condition.key, conditionRef);
      }
      encounter['diagnosis'] = [{ condition: conditionRef, rank: 1 }];
    }
    encounter['serviceProvider'] = this.orgRef();

    if (firstHere && person.allergy) this.writeAllergy(encounterRef, doctorRef, start);

    // Vital signs at every visit; blood pressure from the age of three.
    const vitals = this.writeVitals(visit, encounterRef, nurseRef ?? doctorRef, age);
    this.writeLabs(visit, encounterRef, doctorRef, age);

    const medication = visit.condition?.medications[0];
    if (medication && visit.condition)
      this.writeMedication(medication, visit, encounterRef, doctorRef, conditionRef!);
    this.writeProcedures(visit, encounterRef, doctorRef, conditionRef, age);
    this.writeImmunizations(visit, encounterRef, () => nurseRef ?? this.staffRef(nurse), age);

    if (visit.classCode === 'IMP' || random.chance(0.3)) {
      const note = clinicalNote({
        person,
        hospitalName: this.dir.spec.name,
        hospitalNameZh: this.dir.spec.nameZh,
        kind: visit.classCode === 'IMP' ? 'discharge' : 'progress',
        start: visit.start,
        end: visit.end,
        department: dept,
        condition: visit.condition,
        medication,
        vitals,
        clinician: doctor.name,
      });
      const kind = visit.classCode === 'IMP' ? LOINC.dischargeSummary : LOINC.progressNote;
      const doc = this.base('DocumentReference', 'document');
      Object.assign(doc, {
        status: 'current',
        docStatus: 'final',
        type: {
          coding: [{ system: LOINC_SYSTEM, code: kind.code, display: kind.display }],
          text: this.text(kind.zh, kind.display),
        },
        subject: this.patientRef,
        date: dateTimeAt(visit.end, offset),
        author: [doctorRef],
        custodian: this.orgRef(),
        content: [
          {
            attachment: {
              contentType: 'text/plain; charset=utf-8',
              language: note.language,
              data: Buffer.from(note.text, 'utf8').toString('base64'),
              title: note.title,
              creation: dateTimeAt(visit.end, offset),
            },
          },
        ],
        context: { encounter: [encounterRef], period: { start, end: dateTimeAt(visit.end, offset) } },
      });
      this.add(doc);
    }
  }

  private writeCondition(c: ConditionDef, encounter: Reference, doctor: Reference, visit: Visit): Reference {
    const offset = this.person.utcOffset;
    const condition = this.base('Condition', 'condition');
    const abatement = c.chronic
      ? undefined
      : Math.min(visit.start + this.random.int(7, 21) * DAY_MS, this.input.now);
    Object.assign(condition, {
      clinicalStatus: {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
            code: c.chronic ? 'active' : 'resolved',
          },
        ],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
      },
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/condition-category',
              code: 'encounter-diagnosis',
              display: 'Encounter Diagnosis',
            },
          ],
        },
      ],
      code: {
        coding: [
          { system: CN_ICD10_SYSTEM, code: c.cn.code, display: c.cn.display },
          { system: ICD10_SYSTEM, code: c.icd10.code, display: c.icd10.display },
        ],
        text: this.text(c.cn.display, c.icd10.display),
      },
      subject: this.patientRef,
      encounter,
      onsetDateTime: dateTimeAt(visit.start - this.random.int(1, 30) * DAY_MS, offset),
      ...(abatement === undefined ? {} : { abatementDateTime: dateTimeAt(abatement, offset) }),
      recordedDate: dateTimeAt(visit.start, offset),
      recorder: doctor,
    });
    return this.add(condition);
  }

  private writeAllergy(encounter: Reference, doctor: Reference, recorded: string): void {
    const allergy = this.person.allergy!;
    const resource = this.base('AllergyIntolerance', 'allergy');
    Object.assign(resource, {
      clinicalStatus: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
        ],
      },
      verificationStatus: {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
            code: 'confirmed',
          },
        ],
      },
      type: 'allergy',
      category: [allergy.category],
      criticality: allergy.category === 'medication' ? 'high' : 'low',
      code: this.coded(allergy.item),
      patient: this.patientRef,
      encounter,
      recordedDate: recorded,
      recorder: doctor,
    });
    this.add(resource);
  }

  private coded(item: CodedItem): {
    coding: { system: string; code: string; display: string }[];
    text: string;
  } {
    const system = item.system === 'cvx' ? CVX_SYSTEM : SNOMED_SYSTEM;
    return {
      coding: [{ system, code: item.code, display: item.display }],
      text: this.text(item.zh, item.display),
    };
  }

  private observation(
    key: keyof typeof LOINC,
    category: 'vital-signs' | 'laboratory',
    encounter: Reference,
    performer: Reference,
    when: number,
  ): FhirResource & { id: string } {
    const def = LOINC[key];
    const obs = this.base('Observation', 'observation');
    Object.assign(obs, {
      status: 'final',
      category: [
        {
          coding: [
            {
              system: CATEGORY,
              code: category,
              display: category === 'vital-signs' ? 'Vital Signs' : 'Laboratory',
            },
          ],
        },
      ],
      code: {
        coding: [{ system: LOINC_SYSTEM, code: def.code, display: def.display }],
        text: this.text(def.zh, def.display),
      },
      subject: this.patientRef,
      encounter,
      effectiveDateTime: dateTimeAt(when, this.person.utcOffset),
      issued: dateTimeAt(when + (category === 'laboratory' ? 2 * 3_600_000 : 0), this.person.utcOffset),
      performer: [performer],
    });
    return obs;
  }

  private quantity(key: keyof typeof LOINC, value: number): Record<string, unknown> {
    const unit = LOINC[key].unit;
    return { value, unit, system: UCUM_SYSTEM, code: unit };
  }

  private has(key: string): boolean {
    return this.person.conditions.some((c) => c.key === key);
  }

  private writeVitals(
    visit: Visit,
    encounter: Reference,
    performer: Reference,
    age: number,
  ): { systolic: number; diastolic: number; heartRate: number } | undefined {
    const r = this.random;
    const when = visit.start + 5 * 60_000;
    const hypertensive = this.has('hypertension');
    const systolic = Math.round(
      hypertensive
        ? r.normal(148, 12, 130, 185)
        : age < 14
          ? r.normal(100, 7, 80, 118)
          : r.normal(112 + Math.max(0, age - 30) * 0.35, 8, 90, 139),
    );
    const diastolic = Math.round(
      hypertensive ? r.normal(93, 7, 80, 112) : age < 14 ? r.normal(62, 5, 45, 75) : r.normal(74, 6, 55, 89),
    );
    const heartRate = Math.round(
      r.normal(age < 6 ? 105 : 76, 9, 50, 140) + (visit.classCode === 'EMER' ? 10 : 0),
    );

    const height = round1(heightAtAge(this.person.adultHeightCm, age) + r.normal(0, 0.4));
    const bmi =
      age >= 18
        ? this.person.bmi + (this.has('diabetes') ? 2 : 0) + r.normal(0, 0.5)
        : r.normal(16.5, 1.5, 13, 22);
    const weight = round1(bmi * (height / 100) ** 2);

    if (age >= 3) {
      const bp = this.observation('bpPanel', 'vital-signs', encounter, performer, when);
      bp['component'] = [
        { code: this.loincConcept('systolic'), valueQuantity: this.quantity('systolic', systolic) },
        { code: this.loincConcept('diastolic'), valueQuantity: this.quantity('diastolic', diastolic) },
      ];
      this.add(bp);
    }
    const hr = this.observation('heartRate', 'vital-signs', encounter, performer, when);
    hr['valueQuantity'] = this.quantity('heartRate', heartRate);
    this.add(hr);
    for (const [key, value] of [
      ['height', height],
      ['weight', weight],
      ['bmi', round1(weight / (height / 100) ** 2)],
    ] as const) {
      const obs = this.observation(key, 'vital-signs', encounter, performer, when);
      obs['valueQuantity'] = this.quantity(key, value);
      this.add(obs);
    }
    return age >= 3 ? { systolic, diastolic, heartRate } : undefined;
  }

  private loincConcept(key: keyof typeof LOINC) {
    const def = LOINC[key];
    return {
      coding: [{ system: LOINC_SYSTEM, code: def.code, display: def.display }],
      text: this.text(def.zh, def.display),
    };
  }

  private writeLabs(visit: Visit, encounter: Reference, doctor: Reference, age: number): void {
    const r = this.random;
    const reason = visit.condition?.key;
    const metabolic = ['diabetes', 'hypertension', 'hyperlipidemia', 'coronary-heart-disease'].includes(
      reason ?? '',
    );
    const when = visit.start + 30 * 60_000;
    const results: Reference[] = [];
    if (age >= 14 && (metabolic || !visit.condition || visit.classCode === 'IMP' || r.chance(0.15))) {
      const diabetic = this.has('diabetes');
      const glucose = this.observation('glucose', 'laboratory', encounter, doctor, when);
      glucose['valueQuantity'] = this.quantity(
        'glucose',
        Math.round(diabetic ? r.normal(165, 35, 110, 320) : r.normal(92, 9, 70, 109)),
      );
      results.push(this.add(glucose));
      if (diabetic || (!visit.condition && age >= 40)) {
        const a1c = this.observation('hba1c', 'laboratory', encounter, doctor, when);
        a1c['valueQuantity'] = this.quantity(
          'hba1c',
          round1(diabetic ? r.normal(7.8, 1, 6.5, 11.5) : r.normal(5.3, 0.3, 4.4, 5.9)),
        );
        results.push(this.add(a1c));
      }
      if (metabolic || !visit.condition) {
        const high = this.has('hyperlipidemia');
        const chol = this.observation('cholesterol', 'laboratory', encounter, doctor, when);
        chol['valueQuantity'] = this.quantity(
          'cholesterol',
          Math.round(high ? r.normal(248, 22, 215, 330) : r.normal(178, 18, 125, 209)),
        );
        results.push(this.add(chol));
      }
      this.writeReport('labReport', results, encounter, when);
    }

    // HIV testing: diagnosis and monitoring for people living with HIV, screening before admissions.
    const hivPositive = this.has('hiv-disease') || this.has('hiv-asymptomatic');
    const hivVisit = reason === 'hiv-disease' || reason === 'hiv-asymptomatic';
    if (hivVisit || (visit.classCode === 'IMP' && r.chance(0.5))) {
      const hiv: Reference[] = [];
      if (!hivVisit || visit.first) {
        const screen = this.observation('hivAgAb', 'laboratory', encounter, doctor, when);
        screen['valueCodeableConcept'] = hivPositive
          ? {
              coding: [{ system: SNOMED_SYSTEM, code: '10828004', display: 'Positive' }],
              text: this.text('阳性', 'Positive'),
            }
          : {
              coding: [{ system: SNOMED_SYSTEM, code: '260385009', display: 'Negative' }],
              text: this.text('阴性', 'Negative'),
            };
        hiv.push(this.add(screen));
      }
      if (hivPositive && hivVisit) {
        const load = this.observation('hivViralLoad', 'laboratory', encounter, doctor, when);
        // Untreated at diagnosis; suppressed on treatment at follow-up.
        load['valueQuantity'] = this.quantity(
          'hivViralLoad',
          visit.first ? Math.round(10 ** r.normal(4.6, 0.5, 3, 6)) : r.int(0, 49),
        );
        hiv.push(this.add(load));
      }
      this.writeReport('hivPanel', hiv, encounter, when);
    }
  }

  private writeReport(
    key: 'labReport' | 'hivPanel',
    results: Reference[],
    encounter: Reference,
    when: number,
  ): void {
    if (results.length === 0) return;
    const report = this.base('DiagnosticReport', 'diagnostic-report');
    Object.assign(report, {
      status: 'final',
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' },
          ],
        },
      ],
      code: this.loincConcept(key),
      subject: this.patientRef,
      encounter,
      effectiveDateTime: dateTimeAt(when, this.person.utcOffset),
      issued: dateTimeAt(when + 3 * 3_600_000, this.person.utcOffset),
      performer: [this.orgRef()],
      result: results,
    });
    this.add(report);
  }

  private writeMedication(
    med: Medication,
    visit: Visit,
    encounter: Reference,
    doctor: Reference,
    reason: Reference,
  ): void {
    const request = this.base('MedicationRequest', 'medication-request');
    const chronic = visit.condition!.chronic;
    Object.assign(request, {
      status: chronic && visit.end > this.input.now - 180 * DAY_MS ? 'active' : 'completed',
      intent: 'order',
      medicationCodeableConcept: {
        ...(med.rxnorm
          ? { coding: [{ system: RXNORM_SYSTEM, code: med.rxnorm.code, display: med.rxnorm.display }] }
          : {}),
        text: this.text(med.zh, med.en),
      },
      subject: this.patientRef,
      encounter,
      authoredOn: dateTimeAt(visit.start + 20 * 60_000, this.person.utcOffset),
      requester: doctor,
      reasonReference: [reason],
      dosageInstruction: [{ text: this.text(med.dosageZh, med.dosageEn) }],
    });
    this.add(request);
  }

  private writeProcedures(
    visit: Visit,
    encounter: Reference,
    doctor: Reference,
    reason: Reference | undefined,
    age: number,
  ): void {
    const key = visit.condition?.key;
    const todo: CodedItem[] = [];
    if (visit.first && visit.department === 'cardiology') todo.push(PROCEDURES.ecg);
    if (visit.first && key === 'pneumonia') todo.push(PROCEDURES.chestXray);
    if (visit.first && key === 'asthma') todo.push(PROCEDURES.spirometry);
    if (key === 'coronary-heart-disease' && visit.classCode === 'IMP') todo.push(PROCEDURES.pci);
    if (!visit.condition && age >= 50 && this.random.chance(0.2)) todo.push(PROCEDURES.colonoscopy);
    for (const item of todo) {
      const procedure = this.base('Procedure', 'procedure');
      Object.assign(procedure, {
        status: 'completed',
        code: this.coded(item),
        subject: this.patientRef,
        encounter,
        performedDateTime: dateTimeAt(visit.start + 45 * 60_000, this.person.utcOffset),
        performer: [{ actor: doctor }],
        ...(reason ? { reasonReference: [reason] } : {}),
      });
      this.add(procedure);
    }
  }

  private writeImmunizations(visit: Visit, encounter: Reference, nurse: () => Reference, age: number): void {
    const r = this.random;
    const year = Number(dateAt(visit.start, this.person.utcOffset).slice(0, 4));
    const todo: CodedItem[] = [];
    if ((!visit.condition || visit.department === 'general') && r.chance(0.35))
      todo.push(IMMUNIZATIONS.influenza);
    if (this.zh && !this.covidGiven && age >= 3 && (year === 2021 || year === 2022) && r.chance(0.6)) {
      todo.push(IMMUNIZATIONS.covidSinopharm);
      this.covidGiven = true;
    }
    if (age >= 65 && !this.pcvGiven && r.chance(0.15)) {
      todo.push(IMMUNIZATIONS.pcv13);
      this.pcvGiven = true;
    }
    if (age >= 18 && r.chance(0.04)) todo.push(IMMUNIZATIONS.hepB);
    for (const item of todo) {
      const imm = this.base('Immunization', 'immunization');
      Object.assign(imm, {
        status: 'completed',
        vaccineCode: this.coded(item),
        patient: this.patientRef,
        encounter,
        occurrenceDateTime: dateTimeAt(visit.start + 50 * 60_000, this.person.utcOffset),
        primarySource: true,
        lotNumber: `${year}${r.digits(6)}`,
        performer: [{ actor: nurse() }],
      });
      this.add(imm);
    }
  }
}
