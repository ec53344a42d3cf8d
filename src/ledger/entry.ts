/**
 * What the ledger records: one audit event per entry, stored as RFC 8785 canonical JSON so that
 * every institution hashes the same bytes. Entries carry tokens and references only, never
 * health data: patients appear as keyed pseudonym tokens, resources as `Type/id` references.
 */
import { badRequest, isValidResidentId, type Brand } from '../core/index.js';

/** A keyed pseudonym token for a patient (from the crypto module), never an identifier. */
export type PatientToken = Brand<string, 'PatientToken'>;

export const AUDIT_KINDS = [
  'access-decision',
  'read',
  'write',
  'export',
  'consent-change',
  'policy-change',
  'key-operation',
  'break-glass',
  'agreement-event',
  'login',
  'dataset-event',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export type Decision = 'permit' | 'deny';

/** Why an access is looked at again afterwards: made under break-glass, or under a declared emergency. */
export const AUDIT_ENTRY_FLAGS = ['break-glass', 'emergency'] as const;
export type AuditEntryFlag = (typeof AUDIT_ENTRY_FLAGS)[number];

/** Stages of a dataset's life the data passport shows (seed 002 §5.2.2, §7.2.3). */
export const DATASET_STAGES = [
  'collection',
  'transmission',
  'cleaning',
  'labelling',
  'de-identification',
  'training',
  'release',
  'destruction',
] as const;
export type DatasetStage = (typeof DATASET_STAGES)[number];

interface Common {
  /** Who acted: a user, service or API-key id. */
  actor: string;
  /** The actor's organization id. */
  organization: string;
  /** What was attempted, e.g. `Observation.read`, `consent.revoke`. */
  action: string;
  purpose?: string;
  /** Patients concerned, as keyed tokens. */
  targets: PatientToken[];
  decision?: Decision;
  reason?: string;
  requestId?: string;
  /** Resources concerned, as `Type/id` references. */
  resources?: string[];
  /** Set when the access was made under an exception that is reviewed afterwards. */
  flags?: AuditEntryFlag[];
  /** Epoch milliseconds. */
  time: number;
}

export type AccessDecisionEntry = Common & { kind: 'access-decision'; decision: Decision };
export type WriteEntry = Common & {
  kind: 'write';
  operation: 'create' | 'update' | 'delete';
  resources: string[];
};
export type DatasetEventEntry = Common & {
  kind: 'dataset-event';
  dataset: string;
  stage: DatasetStage;
  /** The datasets this one was made from (lineage edges of the passport). */
  derivedFrom: string[];
  /** For a release or transmission: the receiving organization. */
  recipient?: string;
};
export type OtherEntry = Common & { kind: Exclude<AuditKind, 'access-decision' | 'write' | 'dataset-event'> };

export type AuditEntry = AccessDecisionEntry | WriteEntry | DatasetEventEntry | OtherEntry;

const TOKEN = /^[A-Za-z0-9._:~=-]{8,256}$/;
const REFERENCE = /^[A-Za-z][A-Za-z0-9]*\/[A-Za-z0-9\-.]{1,64}$/;
const CN_MOBILE = /^(?:\+?86)?1[3-9][0-9]{9}$/;

/**
 * Whether a string can be a patient token: opaque, and not a resident ID or mobile number that
 * someone passed by mistake (the cheapest guard against identifiers landing in the audit trail).
 */
export const isPatientToken = (value: string): value is PatientToken =>
  TOKEN.test(value) &&
  // A token has no blanks (TOKEN), so only an 18-character one can be a resident ID.
  (value.length !== 18 || !isValidResidentId(value)) &&
  !CN_MOBILE.test(value);

const fail = (path: string, what: string, zh: string) =>
  badRequest(`audit entry ${path}: ${what}`, {
    path,
    hint: 'audit entries carry ids, tokens and references only; fix the caller that built it',
    zh: `审计条目 ${path}：${zh}`,
  });

function text(
  record: Record<string, unknown>,
  key: string,
  required: boolean,
  max = 512,
): string | undefined {
  const value = record[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw fail(
      key,
      `must be a non-empty string of at most ${max} characters`,
      `须为不超过 ${max} 字符的非空字符串`,
    );
  return value;
}

function list(
  record: Record<string, unknown>,
  key: string,
  check: (s: string) => boolean,
  required: boolean,
): string[] | undefined {
  const value = record[key];
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || value.length > 10_000) throw fail(key, 'must be an array', '须为数组');
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !check(item))
      throw fail(
        `${key}[${i}]`,
        'is not an opaque token or reference',
        '不是不透明令牌或资源引用（禁止写入身份信息）',
      );
  });
  return value as string[];
}

function oneOf<T extends string>(
  record: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  required: boolean,
): T | undefined {
  const value = record[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw fail(key, `must be one of ${allowed.join(', ')}`, `须为 ${allowed.join('、')} 之一`);
  return value as T;
}

const KNOWN_KEYS = new Set([
  'kind',
  'actor',
  'organization',
  'action',
  'purpose',
  'targets',
  'decision',
  'reason',
  'requestId',
  'resources',
  'time',
  'operation',
  'dataset',
  'stage',
  'derivedFrom',
  'recipient',
  'flags',
]);

/** Checks an entry (from a caller or read back from storage) and returns it typed. */
export function checkEntry(value: unknown): AuditEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('$', 'must be an object', '须为对象');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!KNOWN_KEYS.has(key)) throw fail(key, 'is not a field of an audit entry', '不是审计条目的字段');
  const kind = oneOf(record, 'kind', AUDIT_KINDS, true)!;
  text(record, 'actor', true, 256);
  text(record, 'organization', true, 256);
  text(record, 'action', true, 256);
  text(record, 'purpose', false, 256);
  text(record, 'reason', false, 2048);
  text(record, 'requestId', false, 128);
  list(record, 'targets', isPatientToken, true);
  list(record, 'resources', (s) => REFERENCE.test(s), kind === 'write');
  list(record, 'flags', (s) => (AUDIT_ENTRY_FLAGS as readonly string[]).includes(s), false);
  oneOf(record, 'decision', ['permit', 'deny'] as const, kind === 'access-decision');
  const time = record.time;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0)
    throw fail('time', 'must be epoch milliseconds', '须为毫秒时间戳');
  if (kind === 'write') oneOf(record, 'operation', ['create', 'update', 'delete'] as const, true);
  else if (record.operation !== undefined)
    throw fail('operation', `is only for write entries`, '仅用于写入条目');
  if (kind === 'dataset-event') {
    text(record, 'dataset', true, 256);
    oneOf(record, 'stage', DATASET_STAGES, true);
    list(record, 'derivedFrom', (s) => s.length > 0 && s.length <= 256, true);
    text(record, 'recipient', false, 256);
  } else {
    for (const key of ['dataset', 'stage', 'derivedFrom', 'recipient'])
      if (record[key] !== undefined) throw fail(key, 'is only for dataset events', '仅用于数据集事件');
  }
  return record as unknown as AuditEntry;
}

// RFC 8785 orders keys by UTF-16 code units; the entry keys are ASCII, so a plain sort is that order.
const SORTED_KEYS = [...KNOWN_KEYS].sort();

/**
 * The bytes that are hashed into the log: RFC 8785 canonical JSON in UTF-8, for a checked entry.
 * Its values are only strings, safe integers and arrays of strings, for which JSON.stringify
 * already writes the canonical form (RFC 8785 takes ES2019 string escaping and number
 * formatting), so only the key order is left to do: several times faster than a general
 * canonicalizer on the append path. The tests hold it equal to `canonicalJson`.
 */
export function encodeEntry(entry: AuditEntry): Uint8Array {
  return Buffer.from(encodeEntryText(entry), 'utf8');
}

/**
 * `encodeEntry` as a string (its UTF-8 bytes are the entry's bytes). An ordered copy for
 * JSON.stringify's fast path: a replacer array would take it off that path (twice as slow).
 */
export function encodeEntryText(entry: AuditEntry): string {
  const record = entry as unknown as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of SORTED_KEYS) {
    const value = record[key];
    if (value !== undefined) ordered[key] = value;
  }
  return JSON.stringify(ordered);
}

export const decodeEntry = (bytes: Uint8Array): AuditEntry =>
  checkEntry(JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown);

/**
 * The subjects an entry is found by: patients, written resources (their provenance), datasets and
 * their sources. A read is found through its patients, not the resources it names: one subject
 * row per read at a random place in the index cost a group commit more than everything else in
 * it, and no view looks reads up by resource (the patient's trail lists them).
 */
export function subjectsOf(entry: AuditEntry): string[] {
  const subjects = new Set<string>();
  for (const t of entry.targets) subjects.add(`patient:${t}`);
  if (entry.kind === 'write') for (const r of entry.resources) subjects.add(`resource:${r}`);
  if (entry.kind === 'dataset-event') {
    subjects.add(`dataset:${entry.dataset}`);
    for (const s of entry.derivedFrom) subjects.add(`source:${s}`);
  }
  return [...subjects];
}
