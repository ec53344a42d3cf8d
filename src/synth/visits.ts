import type { ConditionDef, DepartmentKey } from './catalog.js';
import type { Person } from './person.js';
import type { Random } from './random.js';
import { DAY_MS, YEAR_MS, ageAt, parseDate } from './time.js';

/**
 * When a person comes to one hospital and why: a diagnosis visit for each condition the hospital
 * sees, follow-ups for chronic ones and health checks, spread over the last ten years (or since
 * birth), at most eight in all.
 */
export type ClassCode = 'AMB' | 'EMER' | 'IMP';

export interface Visit {
  condition: ConditionDef | undefined;
  /** The visit at which this hospital first diagnoses the condition. */
  first: boolean;
  classCode: ClassCode;
  department: DepartmentKey;
  start: number;
  end: number;
}

export function planVisits(
  random: Random,
  person: Person,
  conditions: readonly ConditionDef[],
  now: number,
): Visit[] {
  const plan: { condition?: ConditionDef }[] = [];
  for (const condition of conditions) {
    plan.push({ condition });
    if (condition.chronic) for (let i = random.int(0, 3); i > 0; i--) plan.push({ condition });
  }
  // Health checks (体检): most people have had one, some several.
  if (plan.length === 0 || random.chance(0.5)) plan.push({});
  if (random.chance(0.25)) plan.push({});
  for (let i = plan.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  plan.length = Math.min(plan.length, 8);

  const windowStart = Math.max(parseDate(person.birthDate) + DAY_MS, now - 10 * YEAR_MS);
  const windowEnd = now - 14 * DAY_MS;
  const days = plan.map(() => random.int(windowStart, windowEnd)).sort((a, b) => a - b);
  const seen = new Set<string>();
  return plan.map((item, i) => {
    const classCode = classFor(random, item.condition);
    const department: DepartmentKey =
      classCode === 'EMER'
        ? 'emergency'
        : ageAt(person.birthDate, days[i]!) < 14 && item.condition?.department !== 'gynecology'
          ? 'pediatrics'
          : (item.condition?.department ?? 'general');
    const dayStart =
      Math.floor((days[i]! + person.utcOffset * 60_000) / DAY_MS) * DAY_MS - person.utcOffset * 60_000;
    const hour = classCode === 'EMER' ? random.int(0, 23) : random.int(8, 16);
    const start = dayStart + hour * 3_600_000 + random.int(0, 59) * 60_000;
    const minutes =
      classCode === 'AMB'
        ? random.int(10, 40)
        : classCode === 'EMER'
          ? random.int(60, 360)
          : random.int(2, 12) * 1440;
    const first = item.condition !== undefined && !seen.has(item.condition.key);
    if (item.condition) seen.add(item.condition.key);
    return {
      condition: item.condition,
      first,
      classCode,
      department,
      start,
      end: start + minutes * 60_000,
    };
  });
}

function classFor(random: Random, condition: ConditionDef | undefined): ClassCode {
  if (!condition) return 'AMB';
  const severe = ['pneumonia', 'coronary-heart-disease', 'schizophrenia'].includes(condition.key);
  const acute = ['upper-respiratory-infection', 'coronary-heart-disease', 'asthma'].includes(condition.key);
  return random.weighted<ClassCode>([
    ['AMB', 0.75],
    ['EMER', acute ? 0.2 : 0.07],
    ['IMP', severe ? 0.35 : 0.05],
  ]);
}
