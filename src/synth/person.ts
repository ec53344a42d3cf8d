import type { Faker } from '@faker-js/faker';
import { makeResidentId } from '../core/index.js';
import { CONDITIONS, ALLERGIES, type ConditionDef } from './catalog.js';
import { chineseName } from './chinese-names.js';
import { DIVISIONS, divisionPrefix, divisionsNear, type Division } from './divisions.js';
import { chineseMobile, usPhone } from './phones.js';
import type { Random } from './random.js';
import { YEAR_MS, DAY_MS, ageAt, dateAt } from './time.js';

/**
 * A synthetic person, before any hospital has seen them: who they are, where they live and what
 * they suffer from. Hospitals then record this same person under their own MRNs.
 */
export interface Person {
  key: string;
  kind: 'zh' | 'en';
  name: { text: string; family: string; given: string[] };
  sex: 'male' | 'female';
  birthDate: string;
  residentId?: string;
  ssn?: string;
  insuranceNumber?: string;
  phone: string;
  address: PersonAddress;
  maritalStatus?: 'M' | 'S' | 'W' | 'D';
  contact?: { relationship: string; relationshipZh: string; name: string; phone: string };
  conditions: ConditionDef[];
  allergy?: (typeof ALLERGIES)[number];
  /** Body habitus, so that weights and heights agree across encounters. */
  adultHeightCm: number;
  /** Adult body mass index (children get their own range at each visit). */
  bmi: number;
  /** UTC offset of the person's local time, in minutes. */
  utcOffset: number;
}

export interface PersonAddress {
  text: string;
  line: string[];
  city: string;
  district?: string;
  state: string;
  postalCode?: string;
  country: string;
  divisionCode?: string;
}

/** Age bands (years) with their share of the patients a general hospital sees. */
const AGE_BANDS: readonly (readonly [readonly [number, number], number])[] = [
  [[0, 14], 10],
  [[15, 29], 14],
  [[30, 44], 22],
  [[45, 59], 26],
  [[60, 74], 20],
  [[75, 95], 8],
];

function birthDateFor(random: Random, now: number, offset: number): string {
  const [lo, hi] = random.weighted(AGE_BANDS);
  const age = random.int(lo, hi);
  const ms = now - age * YEAR_MS - random.int(30, 364) * DAY_MS;
  return dateAt(ms, offset);
}

function conditionsFor(random: Random, age: number, sex: 'male' | 'female'): ConditionDef[] {
  const found = CONDITIONS.filter((c) => random.chance(c.prevalence(age, sex)));
  // Only one of the two HIV codes applies to a person.
  if (found.some((c) => c.key === 'hiv-disease')) return found.filter((c) => c.key !== 'hiv-asymptomatic');
  return found;
}

function maritalStatusFor(random: Random, age: number): Person['maritalStatus'] {
  if (age < 20) return undefined;
  if (age < 28) return random.chance(0.7) ? 'S' : 'M';
  return random.weighted<'M' | 'S' | 'W' | 'D'>([
    ['M', 78],
    ['S', 8],
    ['D', 6],
    ['W', age > 60 ? 12 : 1],
  ]);
}

/** Adult height by sex and population. */
function adultHeight(random: Random, sex: 'male' | 'female', kind: 'zh' | 'en'): number {
  return kind === 'zh'
    ? sex === 'male'
      ? random.normal(170, 6, 155, 192)
      : random.normal(158.5, 5.5, 145, 178)
    : sex === 'male'
      ? random.normal(176, 7, 158, 198)
      : random.normal(162.5, 6.5, 148, 185);
}

/** Height at an age, on a rough growth curve that reaches the adult height at 18. */
export function heightAtAge(adultHeightCm: number, age: number): number {
  if (age >= 18) return adultHeightCm;
  if (age < 1) return 60;
  const at2 = 87;
  if (age < 2) return 75 + (age - 1) * 12;
  return at2 + ((adultHeightCm - at2) * (age - 2)) / 16;
}

export interface PersonContext {
  random: Random;
  key: string;
  now: number;
  /** Where the person's usual hospital is, so that most patients live nearby. */
  hospitalDivision: string;
  /** Resident IDs and SSNs already issued: a real registry never issues one twice. */
  issued: Set<string>;
}

const INSURANCE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

export function chinesePerson(ctx: PersonContext): Person {
  const { random, now } = ctx;
  const offset = 8 * 60;
  const sex = random.chance(0.5) ? 'male' : 'female';
  const birthDate = birthDateFor(random, now, offset);
  const age = ageAt(birthDate, now);
  const name = chineseName(random, sex);

  const home = pickHomeDivision(random, ctx.hospitalDivision);
  // Most people still live where their ID was issued; the rest moved in from elsewhere.
  const origin = random.chance(0.75) ? home : random.pick(DIVISIONS);
  let residentId: string;
  do {
    // The sequence's parity is the sex: odd for men, even for women (GB 11643).
    const sequence = sex === 'male' ? 2 * random.int(0, 499) + 1 : 2 * random.int(1, 499);
    residentId = makeResidentId(origin.code, birthDate, sequence);
  } while (ctx.issued.has(residentId));
  ctx.issued.add(residentId);

  const contactSex = random.chance(0.5) ? 'male' : 'female';
  const contactName = chineseName(random, contactSex);
  const relation = random.pick([
    ['配偶', 'spouse'],
    ['子女', 'child'],
    ['父母', 'parent'],
    ['兄弟姐妹', 'sibling'],
  ] as const);

  return {
    key: ctx.key,
    kind: 'zh',
    name: { text: name.text, family: name.family, given: [name.given] },
    sex,
    birthDate,
    residentId,
    insuranceNumber: random.pick([...INSURANCE_LETTERS]) + random.digits(8),
    phone: chineseMobile(random),
    address: chineseAddress(random, home),
    maritalStatus: maritalStatusFor(random, age),
    contact: random.chance(0.6)
      ? {
          relationship: relation[1],
          relationshipZh: relation[0],
          name: contactName.text,
          phone: chineseMobile(random),
        }
      : undefined,
    conditions: conditionsFor(random, age, sex),
    allergy: random.chance(0.15) ? random.pick(ALLERGIES) : undefined,
    adultHeightCm: adultHeight(random, sex, 'zh'),
    bmi: random.normal(23, 3, 17, 38),
    utcOffset: offset,
  };
}

function pickHomeDivision(random: Random, hospitalDivision: string): Division {
  const r = random.next();
  if (r < 0.8) return random.pick(divisionsNear(hospitalDivision));
  const province = DIVISIONS.filter((div) => div.code.slice(0, 2) === hospitalDivision.slice(0, 2));
  if (r < 0.88 && province.length > 0) return random.pick(province);
  return random.pick(DIVISIONS);
}

function chineseAddress(random: Random, div: Division): PersonAddress {
  const street = random.pick(div.streets);
  const number = random.int(1, 399);
  const line = random.chance(0.8)
    ? `${street}${number}号${random.int(1, 30)}栋${random.int(1, 6)}单元${random.int(1, 32)}0${random.int(1, 6)}室`
    : `${street}${number}号`;
  return {
    text: `${divisionPrefix(div)}${line}`,
    line: [line],
    city: div.city,
    district: div.district,
    state: div.province,
    country: 'CN',
    divisionCode: div.code,
  };
}

/** US cities with their state, area code and ZIP range, so that an address agrees with itself. */
const US_CITIES = [
  { city: 'Boston', state: 'MA', area: '617', zip: [2108, 2136] },
  { city: 'Cambridge', state: 'MA', area: '617', zip: [2138, 2142] },
  { city: 'New York', state: 'NY', area: '212', zip: [10001, 10040] },
  { city: 'San Francisco', state: 'CA', area: '415', zip: [94102, 94134] },
  { city: 'Los Angeles', state: 'CA', area: '213', zip: [90001, 90089] },
  { city: 'Seattle', state: 'WA', area: '206', zip: [98101, 98199] },
  { city: 'Chicago', state: 'IL', area: '312', zip: [60601, 60661] },
  { city: 'Austin', state: 'TX', area: '512', zip: [78701, 78759] },
  { city: 'Denver', state: 'CO', area: '303', zip: [80202, 80239] },
  { city: 'Portland', state: 'OR', area: '503', zip: [97201, 97239] },
  { city: 'Philadelphia', state: 'PA', area: '215', zip: [19102, 19154] },
  { city: 'Atlanta', state: 'GA', area: '404', zip: [30303, 30350] },
] as const;

/** A US social security number in the issued format: no 000, 666 or 9xx area, no zero group or serial. */
function ssnFor(random: Random): string {
  let area = random.int(1, 899);
  if (area === 666) area = 665;
  return `${String(area).padStart(3, '0')}-${String(random.int(1, 99)).padStart(2, '0')}-${String(random.int(1, 9999)).padStart(4, '0')}`;
}

export function englishPerson(ctx: PersonContext, faker: Faker): Person {
  const { random, now } = ctx;
  faker.seed(random.uint32());
  const offset = -5 * 60;
  const sex = random.chance(0.5) ? 'male' : 'female';
  const birthDate = birthDateFor(random, now, offset);
  const age = ageAt(birthDate, now);
  const given = [faker.person.firstName(sex)];
  if (random.chance(0.3)) given.push(faker.person.middleName(sex));
  const family = faker.person.lastName();
  let ssn: string;
  do ssn = ssnFor(random);
  while (ctx.issued.has(ssn));
  ctx.issued.add(ssn);

  const place = random.pick(US_CITIES);
  const zip = String(random.int(place.zip[0], place.zip[1])).padStart(5, '0');
  const street = faker.location.streetAddress(random.chance(0.3));
  const contactSex = random.chance(0.5) ? 'male' : 'female';
  const relation = random.pick([
    ['配偶', 'spouse'],
    ['子女', 'child'],
    ['父母', 'parent'],
  ] as const);

  return {
    key: ctx.key,
    kind: 'en',
    name: { text: `${given.join(' ')} ${family}`, family, given },
    sex,
    birthDate,
    ssn,
    phone: usPhone(random, place.area),
    address: {
      text: `${street}, ${place.city}, ${place.state} ${zip}`,
      line: [street],
      city: place.city,
      state: place.state,
      postalCode: zip,
      country: 'US',
    },
    maritalStatus: maritalStatusFor(random, age),
    contact: random.chance(0.5)
      ? {
          relationship: relation[1],
          relationshipZh: relation[0],
          name: `${faker.person.firstName(contactSex)} ${random.chance(0.6) ? family : faker.person.lastName()}`,
          phone: usPhone(random, place.area),
        }
      : undefined,
    conditions: conditionsFor(random, age, sex),
    allergy: random.chance(0.2) ? random.pick(ALLERGIES) : undefined,
    adultHeightCm: adultHeight(random, sex, 'en'),
    bmi: random.normal(26.5, 4, 17, 42),
    utcOffset: offset,
  };
}
