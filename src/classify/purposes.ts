/**
 * Why data is used. Handling rules are written per purpose, because the seed's grades differ
 * mostly in which uses they allow and on what conditions (002 §7.1.2), not in who may read them.
 * Each purpose maps to an HL7 v3 PurposeOfUse code where HL7 has one, so that the policy module
 * can read purposes from SMART/IHE tokens.
 */
export const PURPOSES = [
  'treatment',
  'emergency-treatment',
  'patient-request',
  'payment',
  'operations',
  'public-health',
  'public-health-emergency',
  'research',
  'ai-training',
  'regulatory',
  'commercial-insurance',
  'marketing',
] as const;

export type Purpose = (typeof PURPOSES)[number];

export const PURPOSE_OF_USE: Readonly<Record<Purpose, string | undefined>> = {
  treatment: 'TREAT',
  'emergency-treatment': 'ETREAT',
  'patient-request': 'PATRQT',
  payment: 'HPAYMT',
  operations: 'HOPERAT',
  'public-health': 'PUBHLTH',
  'public-health-emergency': 'PUBHLTH',
  research: 'HRESCH',
  'ai-training': undefined,
  regulatory: 'HCOMPL',
  'commercial-insurance': 'COVERAGE',
  marketing: 'HMARKT',
};

export const PURPOSE_NAMES: Readonly<Record<Purpose, { zh: string; en: string }>> = {
  treatment: { zh: '诊疗', en: 'treatment' },
  'emergency-treatment': { zh: '急诊救治', en: 'emergency treatment' },
  'patient-request': { zh: '本人查询', en: 'patient request' },
  payment: { zh: '医疗支付', en: 'payment' },
  operations: { zh: '医疗机构运营管理', en: 'healthcare operations' },
  'public-health': { zh: '公共卫生', en: 'public health' },
  'public-health-emergency': { zh: '突发公共卫生事件应急', en: 'public-health emergency' },
  research: { zh: '科学研究', en: 'research' },
  'ai-training': { zh: '人工智能模型训练', en: 'AI model training' },
  regulatory: { zh: '监管', en: 'regulatory oversight' },
  'commercial-insurance': { zh: '商业保险', en: 'commercial insurance' },
  marketing: { zh: '市场营销', en: 'marketing' },
};

export const isPurpose = (value: string): value is Purpose => (PURPOSES as readonly string[]).includes(value);
