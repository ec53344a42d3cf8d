/**
 * A synthetic table shaped like the UCI Adult census extract used by ARX's benchmarks: 8
 * quasi-identifiers with realistic, skewed marginals and ARX-like hierarchies (lattice of
 * 5 x 2 x 2 x 3 x 4 x 3 x 3 x 3 = 6,480 nodes). Seeded, so every run sees the same table.
 */
import type { Hierarchy } from '../src/deid/index.js';
import { ageHierarchy, flatHierarchy, hierarchyFromCsv, seededRng } from '../src/deid/index.js';

type Weighted = readonly (readonly [value: string, weight: number, ...groups: string[]])[];

const MARITAL: Weighted = [
  ['Married-civ-spouse', 46, 'spouse-present'],
  ['Never-married', 33, 'not-married'],
  ['Divorced', 14, 'not-married'],
  ['Separated', 3, 'spouse-not-present'],
  ['Widowed', 3, 'not-married'],
  ['Married-spouse-absent', 1.2, 'spouse-not-present'],
  ['Married-AF-spouse', 0.1, 'spouse-present'],
];
const EDUCATION: Weighted = [
  ['HS-grad', 32, 'high-school', 'secondary'],
  ['Some-college', 22, 'undergraduate', 'higher'],
  ['Bachelors', 16, 'undergraduate', 'higher'],
  ['Masters', 5.4, 'graduate', 'higher'],
  ['Assoc-voc', 4.2, 'undergraduate', 'higher'],
  ['11th', 3.6, 'high-school', 'secondary'],
  ['Assoc-acdm', 3.3, 'undergraduate', 'higher'],
  ['10th', 2.9, 'high-school', 'secondary'],
  ['7th-8th', 2, 'primary', 'primary'],
  ['Prof-school', 1.8, 'graduate', 'higher'],
  ['9th', 1.6, 'high-school', 'secondary'],
  ['12th', 1.3, 'high-school', 'secondary'],
  ['Doctorate', 1.3, 'graduate', 'higher'],
  ['5th-6th', 1, 'primary', 'primary'],
  ['1st-4th', 0.5, 'primary', 'primary'],
  ['Preschool', 0.2, 'primary', 'primary'],
];
const COUNTRY_CONTINENT: Record<string, string> = {
  'United-States': 'North-America',
  Mexico: 'North-America',
  Canada: 'North-America',
  Cuba: 'North-America',
  'El-Salvador': 'North-America',
  Jamaica: 'North-America',
  'Dominican-Republic': 'North-America',
  Guatemala: 'North-America',
  Haiti: 'North-America',
  Nicaragua: 'North-America',
  Honduras: 'North-America',
  'Puerto-Rico': 'North-America',
  'Trinadad&Tobago': 'North-America',
  'Outlying-US': 'North-America',
  Philippines: 'Asia',
  India: 'Asia',
  China: 'Asia',
  Japan: 'Asia',
  Vietnam: 'Asia',
  Taiwan: 'Asia',
  Iran: 'Asia',
  'Hong-Kong': 'Asia',
  Thailand: 'Asia',
  Cambodia: 'Asia',
  Laos: 'Asia',
  South: 'Asia',
  Germany: 'Europe',
  England: 'Europe',
  Italy: 'Europe',
  Poland: 'Europe',
  Portugal: 'Europe',
  France: 'Europe',
  Greece: 'Europe',
  Ireland: 'Europe',
  Yugoslavia: 'Europe',
  Hungary: 'Europe',
  Scotland: 'Europe',
  Holand: 'Europe',
  Columbia: 'South-America',
  Ecuador: 'South-America',
  Peru: 'South-America',
};
const WORKCLASS: Weighted = [
  ['Private', 74, 'non-government'],
  ['Self-emp-not-inc', 8.3, 'non-government'],
  ['Local-gov', 6.8, 'government'],
  ['State-gov', 4.2, 'government'],
  ['Self-emp-inc', 3.6, 'non-government'],
  ['Federal-gov', 3.1, 'government'],
  ['Without-pay', 0.05, 'unemployed'],
];
const OCCUPATION: Weighted = [
  ['Prof-specialty', 13.4, 'white-collar'],
  ['Craft-repair', 13.3, 'blue-collar'],
  ['Exec-managerial', 13.2, 'white-collar'],
  ['Adm-clerical', 12.3, 'white-collar'],
  ['Sales', 11.9, 'white-collar'],
  ['Other-service', 10.6, 'other'],
  ['Machine-op-inspct', 6.5, 'blue-collar'],
  ['Transport-moving', 5.2, 'blue-collar'],
  ['Handlers-cleaners', 4.5, 'blue-collar'],
  ['Farming-fishing', 3.3, 'other'],
  ['Tech-support', 3, 'white-collar'],
  ['Protective-serv', 2.1, 'other'],
  ['Priv-house-serv', 0.5, 'other'],
  ['Armed-Forces', 0.03, 'other'],
];
const RACE: Weighted = [
  ['White', 86],
  ['Black', 9.3],
  ['Asian-Pac-Islander', 3],
  ['Amer-Indian-Eskimo', 1],
  ['Other', 0.8],
];

function picker(items: Weighted, rng: () => number): () => string {
  const total = items.reduce((s, i) => s + i[1], 0);
  return () => {
    let x = rng() * total;
    for (const item of items) if ((x -= item[1]) < 0) return item[0];
    return items[items.length - 1]![0];
  };
}

const csv = (items: Weighted) => items.map(([value, , ...groups]) => [value, ...groups].join(',')).join('\n');

export const ADULT_QIS = [
  'age',
  'sex',
  'race',
  'marital-status',
  'education',
  'native-country',
  'workclass',
  'occupation',
];

export function adultHierarchies(): Record<string, Hierarchy> {
  return {
    age: ageHierarchy([5, 10, 20]),
    sex: flatHierarchy('sex'),
    race: flatHierarchy('race'),
    'marital-status': hierarchyFromCsv('marital-status', csv(MARITAL)),
    education: hierarchyFromCsv('education', csv(EDUCATION)),
    'native-country': hierarchyFromCsv(
      'native-country',
      Object.entries(COUNTRY_CONTINENT)
        .map(([c, k]) => `${c},${k}`)
        .join('\n'),
    ),
    workclass: hierarchyFromCsv('workclass', csv(WORKCLASS)),
    occupation: hierarchyFromCsv('occupation', csv(OCCUPATION)),
  };
}

export function adultRows(count: number, seed = 42): Record<string, string>[] {
  const rng = seededRng(seed);
  const marital = picker(MARITAL, rng);
  const education = picker(EDUCATION, rng);
  const workclass = picker(WORKCLASS, rng);
  const occupation = picker(OCCUPATION, rng);
  const race = picker(RACE, rng);
  const countries = Object.keys(COUNTRY_CONTINENT);
  // 91% United States, Mexico next, then a long tail, as in Adult.
  const country = () => {
    const x = rng();
    if (x < 0.912) return 'United-States';
    if (x < 0.932) return 'Mexico';
    return countries[2 + Math.floor(((x - 0.932) / 0.068) ** 1.6 * (countries.length - 2))]!;
  };
  const rows: Record<string, string>[] = [];
  for (let i = 0; i < count; i++) {
    // Ages 17-90 skewed young: a gamma-like shape from the sum of uniforms.
    const age = Math.min(90, 17 + Math.floor(((rng() + rng() + rng()) / 3) ** 1.4 * 80));
    rows.push({
      age: String(age),
      sex: rng() < 0.67 ? 'Male' : 'Female',
      race: race(),
      'marital-status': marital(),
      education: education(),
      'native-country': country(),
      workclass: workclass(),
      occupation: occupation(),
      salary: rng() < 0.24 ? '>50K' : '<=50K',
    });
  }
  return rows;
}
