/**
 * What the generated people suffer from and how they are treated: conditions with WHO ICD-10 and
 * Chinese clinical-version codes, the medicines, tests and procedures that go with them.
 * Prevalences are rough adult figures for China, raised for the sensitive conditions so that a
 * demo of a few hundred patients still holds some of each (privacy features need them).
 */

/** Categories that law and policy treat as especially sensitive. */
export type SensitiveCategory = 'hiv' | 'mental-health' | 'substance-use' | 'reproductive' | 'genetic';

export type DepartmentKey =
  | 'general'
  | 'cardiology'
  | 'endocrinology'
  | 'respiratory'
  | 'gastroenterology'
  | 'infectious'
  | 'psychiatry'
  | 'gynecology'
  | 'pediatrics'
  | 'emergency';

export const DEPARTMENTS: Record<DepartmentKey, { zh: string; en: string }> = {
  general: { zh: '全科医学科', en: 'General Practice' },
  cardiology: { zh: '心血管内科', en: 'Cardiology' },
  endocrinology: { zh: '内分泌科', en: 'Endocrinology' },
  respiratory: { zh: '呼吸内科', en: 'Respiratory Medicine' },
  gastroenterology: { zh: '消化内科', en: 'Gastroenterology' },
  infectious: { zh: '感染科', en: 'Infectious Diseases' },
  psychiatry: { zh: '精神心理科', en: 'Psychiatry' },
  gynecology: { zh: '妇产科', en: 'Obstetrics and Gynecology' },
  pediatrics: { zh: '儿科', en: 'Pediatrics' },
  emergency: { zh: '急诊科', en: 'Emergency Medicine' },
};

export interface Medication {
  /** RxNorm clinical drug, only where the code is certain; otherwise the drug is named in text. */
  rxnorm?: { code: string; display: string };
  zh: string;
  en: string;
  dosageZh: string;
  dosageEn: string;
}

export interface ConditionDef {
  key: string;
  /** WHO ICD-10 code and English title. */
  icd10: { code: string; display: string };
  /** 国家临床版 2.0 code and Chinese name. */
  cn: { code: string; display: string };
  chronic: boolean;
  sensitive?: SensitiveCategory;
  department: DepartmentKey;
  /** What the patient comes in with, for clinical notes. */
  complaint: { zh: string; en: string };
  /** Probability that a person of this age and sex has (had) it. */
  prevalence: (age: number, sex: 'male' | 'female') => number;
  medications: readonly Medication[];
}

const adult =
  (p: number, from = 18) =>
  (age: number) =>
    age >= from ? p : 0;

const MED = {
  amlodipine: {
    rxnorm: { code: '197361', display: 'amlodipine 5 MG Oral Tablet' },
    zh: '苯磺酸氨氯地平片 5mg',
    en: 'Amlodipine 5 mg tablet',
    dosageZh: '每日一次，每次1片，口服',
    dosageEn: 'One tablet by mouth once daily',
  },
  metformin: {
    rxnorm: { code: '861007', display: 'metformin hydrochloride 500 MG Oral Tablet' },
    zh: '盐酸二甲双胍片 0.5g',
    en: 'Metformin 500 mg tablet',
    dosageZh: '每日两次，每次1片，餐后口服',
    dosageEn: 'One tablet by mouth twice daily with meals',
  },
  simvastatin: {
    rxnorm: { code: '312961', display: 'simvastatin 20 MG Oral Tablet' },
    zh: '辛伐他汀片 20mg',
    en: 'Simvastatin 20 mg tablet',
    dosageZh: '每晚一次，每次1片，口服',
    dosageEn: 'One tablet by mouth every evening',
  },
  aspirin: {
    rxnorm: { code: '243670', display: 'aspirin 81 MG Oral Tablet' },
    zh: '阿司匹林肠溶片',
    en: 'Aspirin 81 mg tablet',
    dosageZh: '每日一次，每次1片，口服',
    dosageEn: 'One tablet by mouth once daily',
  },
  salmeterolFluticasone: {
    rxnorm: {
      code: '896209',
      display:
        '60 ACTUAT fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler',
    },
    zh: '沙美特罗替卡松粉吸入剂',
    en: 'Fluticasone/salmeterol inhaler',
    dosageZh: '每日两次，每次1吸',
    dosageEn: 'One inhalation twice daily',
  },
  acetaminophen: {
    rxnorm: { code: '313782', display: 'acetaminophen 325 MG Oral Tablet' },
    zh: '对乙酰氨基酚片',
    en: 'Acetaminophen 325 mg tablet',
    dosageZh: '发热时服用，每次1-2片，间隔不少于4小时',
    dosageEn: '1-2 tablets by mouth every 4-6 hours as needed for fever',
  },
  amoxicillin: {
    rxnorm: { code: '308182', display: 'amoxicillin 250 MG Oral Capsule' },
    zh: '阿莫西林胶囊 0.25g',
    en: 'Amoxicillin 250 mg capsule',
    dosageZh: '每日三次，每次2粒，口服，疗程7天',
    dosageEn: 'Two capsules by mouth three times daily for 7 days',
  },
  omeprazole: {
    zh: '奥美拉唑肠溶胶囊 20mg',
    en: 'Omeprazole 20 mg capsule',
    dosageZh: '每日一次，每次1粒，早餐前口服',
    dosageEn: 'One capsule by mouth once daily before breakfast',
  },
  biktarvy: {
    rxnorm: {
      code: '1999563',
      display: 'bictegravir 50 MG / emtricitabine 200 MG / tenofovir alafenamide 25 MG Oral Tablet',
    },
    zh: '比克恩丙诺片',
    en: 'Bictegravir/emtricitabine/tenofovir alafenamide tablet',
    dosageZh: '每日一次，每次1片，口服',
    dosageEn: 'One tablet by mouth once daily',
  },
  sertraline: {
    rxnorm: { code: '312940', display: 'sertraline 50 MG Oral Tablet' },
    zh: '盐酸舍曲林片 50mg',
    en: 'Sertraline 50 mg tablet',
    dosageZh: '每日一次，每次1片，口服',
    dosageEn: 'One tablet by mouth once daily',
  },
  risperidone: {
    zh: '利培酮片 1mg',
    en: 'Risperidone 1 mg tablet',
    dosageZh: '每日两次，每次1片，口服',
    dosageEn: 'One tablet by mouth twice daily',
  },
  thiamine: {
    zh: '维生素B1片',
    en: 'Thiamine 10 mg tablet',
    dosageZh: '每日三次，每次1片，口服',
    dosageEn: 'One tablet by mouth three times daily',
  },
  levonorgestrel: {
    zh: '左炔诺孕酮片 1.5mg',
    en: 'Levonorgestrel 1.5 mg tablet',
    dosageZh: '单次口服1片',
    dosageEn: 'One tablet by mouth once',
  },
} as const satisfies Record<string, Medication>;

export const CONDITIONS: readonly ConditionDef[] = [
  {
    key: 'hypertension',
    icd10: { code: 'I10', display: 'Essential (primary) hypertension' },
    cn: { code: 'I10.x00', display: '高血压' },
    chronic: true,
    department: 'cardiology',
    complaint: { zh: '头晕、头痛2周', en: 'dizziness and headache for 2 weeks' },
    prevalence: (age) => (age < 30 ? 0 : age < 45 ? 0.1 : age < 60 ? 0.3 : 0.5),
    medications: [MED.amlodipine],
  },
  {
    key: 'diabetes',
    icd10: { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
    cn: { code: 'E11.900', display: '2型糖尿病' },
    chronic: true,
    department: 'endocrinology',
    complaint: { zh: '口干、多饮、多尿1个月', en: 'thirst, polydipsia and polyuria for 1 month' },
    prevalence: (age) => (age < 30 ? 0 : age < 50 ? 0.07 : 0.18),
    medications: [MED.metformin],
  },
  {
    key: 'hyperlipidemia',
    icd10: { code: 'E78.5', display: 'Hyperlipidaemia, unspecified' },
    cn: { code: 'E78.500', display: '高脂血症' },
    chronic: true,
    department: 'cardiology',
    complaint: { zh: '体检发现血脂升高', en: 'raised lipids found at a health check' },
    prevalence: adult(0.15, 30),
    medications: [MED.simvastatin],
  },
  {
    key: 'coronary-heart-disease',
    icd10: { code: 'I25.1', display: 'Atherosclerotic heart disease' },
    cn: { code: 'I25.103', display: '冠状动脉粥样硬化性心脏病' },
    chronic: true,
    department: 'cardiology',
    complaint: { zh: '活动后胸闷、胸痛3天', en: 'exertional chest tightness and pain for 3 days' },
    prevalence: (age) => (age < 50 ? 0 : 0.08),
    medications: [MED.aspirin],
  },
  {
    key: 'asthma',
    icd10: { code: 'J45.9', display: 'Asthma, unspecified' },
    cn: { code: 'J45.900', display: '哮喘' },
    chronic: true,
    department: 'respiratory',
    complaint: { zh: '反复喘息、气促', en: 'recurrent wheezing and shortness of breath' },
    prevalence: () => 0.05,
    medications: [MED.salmeterolFluticasone],
  },
  {
    key: 'upper-respiratory-infection',
    icd10: { code: 'J06.9', display: 'Acute upper respiratory infection, unspecified' },
    cn: { code: 'J06.900', display: '急性上呼吸道感染' },
    chronic: false,
    department: 'general',
    complaint: { zh: '发热、咽痛、咳嗽2天', en: 'fever, sore throat and cough for 2 days' },
    prevalence: () => 0.3,
    medications: [MED.acetaminophen],
  },
  {
    key: 'pneumonia',
    icd10: { code: 'J18.9', display: 'Pneumonia, unspecified' },
    cn: { code: 'J18.900', display: '肺炎' },
    chronic: false,
    department: 'respiratory',
    complaint: { zh: '发热、咳嗽、咳痰5天', en: 'fever and productive cough for 5 days' },
    prevalence: (age) => (age < 6 || age > 65 ? 0.08 : 0.03),
    medications: [MED.amoxicillin],
  },
  {
    key: 'gastritis',
    icd10: { code: 'K29.7', display: 'Gastritis, unspecified' },
    cn: { code: 'K29.700', display: '胃炎' },
    chronic: false,
    department: 'gastroenterology',
    complaint: { zh: '上腹部隐痛1周', en: 'epigastric pain for 1 week' },
    prevalence: adult(0.1),
    medications: [MED.omeprazole],
  },
  {
    key: 'hiv-disease',
    icd10: { code: 'B24', display: 'Unspecified human immunodeficiency virus [HIV] disease' },
    cn: { code: 'B24.x01', display: '艾滋病' },
    chronic: true,
    sensitive: 'hiv',
    department: 'infectious',
    complaint: { zh: '乏力、体重下降，HIV抗体阳性', en: 'fatigue and weight loss, HIV antibody positive' },
    prevalence: adult(0.015),
    medications: [MED.biktarvy],
  },
  {
    key: 'hiv-asymptomatic',
    icd10: { code: 'Z21', display: 'Asymptomatic human immunodeficiency virus [HIV] infection status' },
    cn: { code: 'Z21.x00x001', display: '无症状性人类免疫缺陷病毒[HIV]感染' },
    chronic: true,
    sensitive: 'hiv',
    department: 'infectious',
    complaint: { zh: 'HIV感染复查', en: 'HIV infection follow-up' },
    prevalence: adult(0.01),
    medications: [MED.biktarvy],
  },
  {
    key: 'depression',
    icd10: { code: 'F32.9', display: 'Depressive episode, unspecified' },
    cn: { code: 'F32.900', display: '抑郁发作' },
    chronic: true,
    sensitive: 'mental-health',
    department: 'psychiatry',
    complaint: { zh: '情绪低落、失眠2个月', en: 'low mood and insomnia for 2 months' },
    prevalence: (age, sex) => (age < 14 ? 0 : sex === 'female' ? 0.07 : 0.04),
    medications: [MED.sertraline],
  },
  {
    key: 'schizophrenia',
    icd10: { code: 'F20.9', display: 'Schizophrenia, unspecified' },
    cn: { code: 'F20.900', display: '精神分裂症' },
    chronic: true,
    sensitive: 'mental-health',
    department: 'psychiatry',
    complaint: { zh: '幻听、言行异常', en: 'auditory hallucinations and disorganised behaviour' },
    prevalence: adult(0.015, 16),
    medications: [MED.risperidone],
  },
  {
    key: 'alcohol-dependence',
    icd10: {
      code: 'F10.2',
      display: 'Mental and behavioural disorders due to use of alcohol: dependence syndrome',
    },
    cn: { code: 'F10.200', display: '酒精依赖综合征' },
    chronic: true,
    sensitive: 'substance-use',
    department: 'psychiatry',
    complaint: { zh: '长期饮酒，停饮后手抖', en: 'long-term drinking, tremor on stopping' },
    prevalence: (age, sex) => (age < 18 ? 0 : sex === 'male' ? 0.04 : 0.005),
    medications: [MED.thiamine],
  },
  {
    key: 'contraception',
    icd10: { code: 'Z30.0', display: 'General counselling and advice on contraception' },
    cn: { code: 'Z30.000', display: '避孕咨询' },
    chronic: false,
    sensitive: 'reproductive',
    department: 'gynecology',
    complaint: { zh: '避孕咨询', en: 'contraception counselling' },
    prevalence: (age, sex) => (sex === 'female' && age >= 18 && age <= 45 ? 0.12 : 0),
    medications: [MED.levonorgestrel],
  },
  {
    key: 'down-syndrome',
    icd10: { code: 'Q90.9', display: 'Down syndrome, unspecified' },
    cn: { code: 'Q90.900', display: '唐氏综合征' },
    chronic: true,
    sensitive: 'genetic',
    department: 'general',
    complaint: { zh: '唐氏综合征随访', en: 'Down syndrome follow-up' },
    prevalence: () => 0.01,
    medications: [],
  },
];

export const conditionByKey = (key: string): ConditionDef => {
  const found = CONDITIONS.find((c) => c.key === key);
  if (!found) throw new RangeError(`unknown condition ${key}`);
  return found;
};

export interface CodedItem {
  system: string;
  code: string;
  display: string;
  zh: string;
}

export const IMMUNIZATIONS = {
  influenza: {
    system: 'cvx',
    code: '140',
    display: 'Influenza, seasonal, injectable, preservative free',
    zh: '流感疫苗',
  },
  hepB: { system: 'cvx', code: '43', display: 'Hep B, adult', zh: '乙肝疫苗（成人）' },
  pcv13: {
    system: 'cvx',
    code: '133',
    display: 'Pneumococcal conjugate PCV 13',
    zh: '13价肺炎球菌多糖结合疫苗',
  },
  covidSinopharm: {
    system: 'cvx',
    code: '510',
    display: 'COVID-19 IV Non-US Vaccine (BIBP, Sinopharm)',
    zh: '新冠病毒灭活疫苗（Vero细胞）',
  },
} as const satisfies Record<string, CodedItem>;

export const PROCEDURES = {
  ecg: { system: 'sct', code: '29303009', display: 'Electrocardiographic procedure', zh: '心电图检查' },
  chestXray: { system: 'sct', code: '399208008', display: 'Plain chest X-ray', zh: '胸部X线检查' },
  spirometry: { system: 'sct', code: '127783003', display: 'Spirometry', zh: '肺功能检查' },
  colonoscopy: { system: 'sct', code: '73761001', display: 'Colonoscopy', zh: '结肠镜检查' },
  pci: {
    system: 'sct',
    code: '415070008',
    display: 'Percutaneous coronary intervention',
    zh: '经皮冠状动脉介入治疗',
  },
} as const satisfies Record<string, CodedItem>;

export const ALLERGIES = [
  {
    category: 'medication',
    item: { system: 'sct', code: '91936005', display: 'Allergy to penicillin', zh: '青霉素过敏' },
  },
  {
    category: 'food',
    item: { system: 'sct', code: '300913006', display: 'Shellfish allergy', zh: '海鲜过敏' },
  },
  { category: 'food', item: { system: 'sct', code: '91934008', display: 'Allergy to nut', zh: '坚果过敏' } },
  {
    category: 'environment',
    item: { system: 'sct', code: '419263009', display: 'Allergy to tree pollen', zh: '花粉过敏' },
  },
] as const;

/** LOINC observations: code, English display, Chinese name and UCUM unit. */
export const LOINC = {
  bpPanel: {
    code: '85354-9',
    display: 'Blood pressure panel with all children optional',
    zh: '血压',
    unit: '',
  },
  systolic: { code: '8480-6', display: 'Systolic blood pressure', zh: '收缩压', unit: 'mm[Hg]' },
  diastolic: { code: '8462-4', display: 'Diastolic blood pressure', zh: '舒张压', unit: 'mm[Hg]' },
  heartRate: { code: '8867-4', display: 'Heart rate', zh: '心率', unit: '/min' },
  weight: { code: '29463-7', display: 'Body weight', zh: '体重', unit: 'kg' },
  height: { code: '8302-2', display: 'Body height', zh: '身高', unit: 'cm' },
  bmi: { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', zh: '体重指数', unit: 'kg/m2' },
  glucose: { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', zh: '血糖', unit: 'mg/dL' },
  hba1c: {
    code: '4548-4',
    display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    zh: '糖化血红蛋白',
    unit: '%',
  },
  cholesterol: {
    code: '2093-3',
    display: 'Cholesterol [Mass/volume] in Serum or Plasma',
    zh: '总胆固醇',
    unit: 'mg/dL',
  },
  hivAgAb: {
    code: '56888-1',
    display: 'HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay',
    zh: 'HIV抗原抗体联合检测',
    unit: '',
  },
  hivViralLoad: {
    code: '25836-8',
    display: 'HIV 1 RNA [#/volume] (viral load) in Serum or Plasma by Probe and target amplification method',
    zh: 'HIV-1病毒载量',
    unit: '{copies}/mL',
  },
  hivPanel: { code: '75622-1', display: 'HIV 1 and 2 tests - Meaningful Use set', zh: 'HIV检测', unit: '' },
  labReport: { code: '11502-2', display: 'Laboratory report', zh: '检验报告', unit: '' },
  progressNote: { code: '11506-3', display: 'Progress note', zh: '病程记录', unit: '' },
  dischargeSummary: { code: '18842-5', display: 'Discharge summary', zh: '出院小结', unit: '' },
} as const;

export type LoincKey = keyof typeof LOINC;
