import type { Selectable } from 'kysely';
import type {
  ConsentRule,
  ConsentVersion,
  Effect,
  RuleId,
  RuleScope,
  ConsentId,
  PatientKey,
} from './model.js';
import type { ConsentTables } from './tables.js';
import type { Guardianship } from './guardians.js';

/** SQLite hands JSON back as text, PostgreSQL's jsonb as a parsed value. */
export const fromJson = <T>(value: unknown): T =>
  typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
export const toJson = (value: unknown): string => JSON.stringify(value);

/** The scope columns of a rule, without undefined members (so stored JSON equals canonical JSON). */
export const scopeJson = (scope: RuleScope): string =>
  toJson({
    ...(scope.categories && { categories: scope.categories }),
    ...(scope.labels && { labels: scope.labels }),
    ...(scope.grades && { grades: scope.grades }),
    ...(scope.purposes && { purposes: scope.purposes }),
    recipient: scope.recipient,
    period: scope.period,
  });

export function toRule(row: Selectable<ConsentTables['consent_rule']>): ConsentRule {
  const scope = fromJson<RuleScope>(row.scope);
  return {
    id: row.id as RuleId,
    seq: row.seq,
    effect: row.effect as Effect,
    ...scope,
    addedIn: row.added_in,
  };
}

export function toVersion(
  consentId: string,
  row: Selectable<ConsentTables['consent_version']>,
): ConsentVersion {
  return {
    consentId: consentId as ConsentId,
    patient: row.patient_key as PatientKey,
    version: row.version,
    action: row.action as ConsentVersion['action'],
    added: fromJson<RuleId[]>(row.added),
    removed: fromJson<RuleId[]>(row.removed),
    rulesHash: row.rules_hash,
    ruleCount: row.rule_count,
    changedAt: row.changed_at,
    changedBy: row.changed_by,
    actedAs: row.acted_as as ConsentVersion['actedAs'],
    receipt: row.receipt,
  };
}

export const toGuardianship = (row: Selectable<ConsentTables['consent_guardian']>): Guardianship => ({
  patient: row.patient_key,
  guardian: row.guardian_user_id,
  relationship: row.relationship,
  startsAt: row.starts_at,
  endsAt: row.ends_at,
  registeredBy: row.registered_by,
  registeredAt: row.registered_at,
  endedAt: row.ended_at,
});
