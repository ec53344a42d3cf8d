import type { Random } from './random.js';

/** Mobile number prefixes (号段) in use by China Mobile, China Unicom, China Telecom and China Broadnet. */
export const CN_MOBILE_PREFIXES: readonly string[] = [
  ...['130', '131', '132', '133', '134', '135', '136', '137', '138', '139'],
  ...['145', '147', '150', '151', '152', '153', '155', '156', '157', '158', '159'],
  ...['166', '170', '171', '173', '175', '176', '177', '178'],
  ...['180', '181', '182', '183', '184', '185', '186', '187', '188', '189'],
  ...['190', '191', '192', '193', '195', '196', '197', '198', '199'],
];

const PREFIX_SET = new Set(CN_MOBILE_PREFIXES);

/** An 11-digit mainland mobile number such as 13812345678. */
export function chineseMobile(random: Random): string {
  return random.pick(CN_MOBILE_PREFIXES) + random.digits(8);
}

export function isChineseMobile(value: string): boolean {
  return /^1[3-9]\d{9}$/.test(value) && PREFIX_SET.has(value.slice(0, 3));
}

/**
 * A North American number such as 617-284-3391 with a real area code: the exchange starts with 2-9,
 * is not an N11 service code and not 555, as the numbering plan requires.
 */
export function usPhone(random: Random, areaCode: string): string {
  let exchange: string;
  do exchange = String(random.int(200, 999));
  while (exchange.endsWith('11') || exchange === '555');
  return `${areaCode}-${exchange}-${random.digits(4)}`;
}

export const isUsPhone = (value: string): boolean => /^[2-9]\d{2}-[2-9]\d{2}-\d{4}$/.test(value);
