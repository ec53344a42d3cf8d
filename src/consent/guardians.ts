/**
 * Guardianship: a guardian manages the consent of a minor until the minor comes of age. Chinese
 * civil law (民法典 Art. 17) makes a person of 18 an adult; their birthday begins at midnight in
 * China (UTC+8). A birth date known only to the month or year ends guardianship at the earliest
 * day it could be, so a guardian never holds authority past the minor's majority.
 */
import { badRequest } from '../core/index.js';

export const AGE_OF_MAJORITY = 18;
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const BIRTH_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** When a person born on `birthDate` (FHIR date: YYYY, YYYY-MM or YYYY-MM-DD) comes of age, epoch ms. */
export function majorityAt(birthDate: string, age = AGE_OF_MAJORITY): number {
  const m = BIRTH_DATE.exec(birthDate);
  if (!m)
    throw badRequest(`the patient's birth date is not a FHIR date`, {
      path: 'Patient.birthDate',
      zh: '患者出生日期不是有效的 FHIR 日期',
    });
  const year = Number(m[1]) + age;
  const month = m[2] === undefined ? 0 : Number(m[2]) - 1;
  const day = m[3] === undefined ? 1 : Number(m[3]);
  return Date.UTC(year, month, day) - CHINA_OFFSET_MS;
}

export interface Guardianship {
  patient: string;
  guardian: string;
  relationship: string;
  startsAt: number;
  /** The minor's majority: the guardian's authority ends here. */
  endsAt: number;
  registeredBy: string;
  registeredAt: number;
  /** Ended before majority (by staff), if it was. */
  endedAt: number | null;
}

/** Guardianship in force at `time`. */
export const isActive = (g: Guardianship, time: number): boolean =>
  time >= g.startsAt && time < g.endsAt && (g.endedAt === null || time < g.endedAt);

/** Relationships a guardian can have (民法典 Art. 27): parents first, then others appointed. */
export const RELATIONSHIPS = ['parent', 'grandparent', 'sibling', 'appointed'] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];
