/**
 * Break-glass (紧急访问, seed 002 §6.2.1): a clinician who must act before a care relationship
 * exists declares an emergency for one patient, with a reason, and gets a time-limited grant
 * (default 4 h). Every access under it is flagged (the `audit` obligation), and a privacy officer
 * reviews each grant afterwards; unreviewed grants stay listed until someone does. An expired
 * grant is reported as such, so the denial says why.
 *
 * `stateFor` is on the read path: it answers from memory. Grants made by another process arrive
 * with `refresh()` (the wiring calls it on a schedule); a grant declared here is visible at once.
 */
import type { Kysely } from 'kysely';
import {
  badRequest,
  conflict,
  forbidden,
  notFound,
  systemClock,
  uuidv7,
  type Clock,
  type TenantId,
} from '../core/index.js';
import type { Role } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { recordedChange, type PolicyAuditNote, type PolicyRecorder } from './audit.js';
import type { BreakGlassInput } from './model.js';
import type { PolicyTables } from './tables.js';

export const DEFAULT_BREAK_GLASS_TTL_MS = 4 * 3_600_000;
/** The longest grant anyone can configure or ask for: an emergency is not a standing permission. */
export const MAX_BREAK_GLASS_TTL_MS = 24 * 3_600_000;
/** How long an expired grant is remembered, so a late access is told it expired rather than "no permit". */
const EXPIRED_MEMORY_MS = 7 * 24 * 3_600_000;

/** Roles that may declare an emergency for a patient. */
export const BREAK_GLASS_ROLES: readonly Role[] = ['clinician', 'nurse'];
/** Roles that review grants afterwards. */
export const BREAK_GLASS_REVIEWERS: readonly Role[] = ['privacy-officer'];

export const REVIEW_OUTCOMES = ['justified', 'unjustified'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface BreakGlassGrant {
  id: string;
  patientKey: string;
  userId: string;
  orgId: string;
  /** As the clinician wrote it; kept here, never in the ledger. */
  reason: string;
  declaredAt: number;
  expiresAt: number;
  review: { at: number; by: string; outcome: ReviewOutcome; note: string } | undefined;
}

export interface BreakGlassActor {
  userId: string;
  orgId: string;
  roles: readonly Role[];
}

export interface BreakGlassOptions {
  store: Store;
  tenant: TenantId;
  clock?: Clock;
  /** Default grant length. Default 4 h; at most 24 h. */
  defaultTtlMs?: number;
}

type Row = PolicyTables['policy_break_glass'];

/**
 * The reason a break-glass declaration stores, trimmed; a 400 when it says too little. Exported so
 * that a caller can refuse a bad request before its first step (the patient lookup) is recorded.
 */
export function breakGlassReason(reason: string): string {
  const text = reason.trim();
  if ([...text].length < 5)
    throw badRequest('break-glass needs a reason of at least 5 characters', {
      path: 'reason',
      zh: '破窗访问须填写至少 5 个字的理由',
      hint: 'say what the emergency is (e.g. unconscious patient, allergy history needed)',
    });
  return text;
}

export class BreakGlassService {
  private readonly db: Kysely<PolicyTables>;
  private readonly clock: Clock;
  private readonly defaultTtlMs: number;
  /** Latest grant per user and patient (`user\0patient`). */
  private readonly latest = new Map<string, BreakGlassGrant>();

  private constructor(private readonly options: BreakGlassOptions) {
    this.db = options.store.tables<PolicyTables>();
    this.clock = options.clock ?? systemClock;
    this.defaultTtlMs = checkTtl(options.defaultTtlMs ?? DEFAULT_BREAK_GLASS_TTL_MS);
  }

  static async open(options: BreakGlassOptions): Promise<BreakGlassService> {
    const service = new BreakGlassService(options);
    await service.refresh();
    return service;
  }

  /** Reloads the grants that can still matter (active, or expired within a week). */
  async refresh(): Promise<void> {
    const rows = await this.db
      .selectFrom('policy_break_glass')
      .selectAll()
      .where('tenant_id', '=', this.options.tenant)
      .where('expires_at', '>', this.clock.now() - EXPIRED_MEMORY_MS)
      .orderBy('expires_at')
      .execute();
    this.latest.clear();
    for (const r of rows) this.remember(grantOf(r));
  }

  /**
   * A clinician declares an emergency for a patient: a grant from now for `ttlMs` (default 4 h).
   * The audit note names the grant and the patient, never the typed reason; it is written to the
   * ledger (through `record`) before the grant is stored, and returned as recorded. The caller has
   * made sure the patient exists (guard's lookup).
   */
  async declare(
    actor: BreakGlassActor,
    record: PolicyRecorder,
    patientKey: string,
    reason: string,
    ttlMs?: number,
  ): Promise<{ grant: BreakGlassGrant; audit: PolicyAuditNote }> {
    if (!actor.roles.some((r) => BREAK_GLASS_ROLES.includes(r)))
      throw forbidden('only a clinician or nurse may declare an emergency for a patient', {
        zh: '只有医生或护士可以为患者声明紧急情况',
        hint: 'ask the treating clinician',
      });
    const text = breakGlassReason(reason);
    if (patientKey.trim() === '')
      throw badRequest('break-glass needs the patient', { path: 'patient', zh: '破窗访问须指明患者' });
    const now = this.clock.now();
    const grant: BreakGlassGrant = {
      id: uuidv7(now),
      patientKey,
      userId: actor.userId,
      orgId: actor.orgId,
      reason: text,
      declaredAt: now,
      expiresAt: now + (ttlMs === undefined ? this.defaultTtlMs : checkTtl(ttlMs)),
      review: undefined,
    };
    const audit: PolicyAuditNote = {
      kind: 'break-glass',
      action: 'break-glass.declare',
      actor: actor.userId,
      organization: actor.orgId,
      decision: 'permit',
      reason: `grant ${grant.id} until ${new Date(grant.expiresAt).toISOString()}`,
      patients: [patientKey],
      time: now,
    };
    await recordedChange(
      record,
      audit,
      () =>
        this.db
          .insertInto('policy_break_glass')
          .values({
            tenant_id: this.options.tenant,
            id: grant.id,
            patient_key: grant.patientKey,
            user_id: grant.userId,
            org_id: grant.orgId,
            reason: grant.reason,
            declared_at: grant.declaredAt,
            expires_at: grant.expiresAt,
            reviewed_at: null,
            reviewed_by: null,
            review_outcome: null,
            review_note: null,
          })
          .execute(),
      this.clock,
    );
    // In force only once stored: reads decide from this memory.
    this.remember(grant);
    return { grant, audit };
  }

  /** The user's grant for the patient, as the decision point takes it (from memory). */
  stateFor(userId: string, patientKey: string, time: number = this.clock.now()): BreakGlassInput {
    const grant = this.latest.get(`${userId}\u0000${patientKey}`);
    if (grant === undefined || grant.declaredAt > time) return { state: 'none' };
    if (grant.expiresAt > time) return { state: 'active', grantId: grant.id, expiresAt: grant.expiresAt };
    if (grant.expiresAt > time - EXPIRED_MEMORY_MS)
      return { state: 'expired', grantId: grant.id, expiredAt: grant.expiresAt };
    return { state: 'none' };
  }

  /** The privacy officer's queue: grants nobody reviewed yet, oldest first. */
  async unreviewed(limit = 100): Promise<BreakGlassGrant[]> {
    const rows = await this.db
      .selectFrom('policy_break_glass')
      .selectAll()
      .where('tenant_id', '=', this.options.tenant)
      .where('reviewed_at', 'is', null)
      .orderBy('declared_at')
      .limit(limit)
      .execute();
    return rows.map(grantOf);
  }

  async get(id: string): Promise<BreakGlassGrant> {
    const row = await this.db
      .selectFrom('policy_break_glass')
      .selectAll()
      .where('tenant_id', '=', this.options.tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`break-glass grant ${id} does not exist`, { zh: `破窗授权 ${id} 不存在` });
    return grantOf(row);
  }

  /**
   * A privacy officer closes the review of a grant (once). Written to the ledger (through
   * `record`) before it is stored; the audit note returned is the one recorded.
   */
  async review(
    actor: BreakGlassActor,
    record: PolicyRecorder,
    id: string,
    outcome: ReviewOutcome,
    note: string,
  ): Promise<{ grant: BreakGlassGrant; audit: PolicyAuditNote }> {
    if (!actor.roles.some((r) => BREAK_GLASS_REVIEWERS.includes(r)))
      throw forbidden('only a privacy officer may review break-glass access', {
        zh: '只有隐私官可以审查破窗访问',
        hint: 'ask your privacy officer',
      });
    if (!REVIEW_OUTCOMES.includes(outcome))
      throw badRequest(`outcome must be one of ${REVIEW_OUTCOMES.join(', ')}`, {
        path: 'outcome',
        zh: `审查结论须为 ${REVIEW_OUTCOMES.join('、')} 之一`,
      });
    const grant = await this.get(id);
    // Refused before anything is recorded; a review committed meanwhile is caught by the update.
    if (grant.review !== undefined) throw alreadyReviewed(id);
    const now = this.clock.now();
    const audit: PolicyAuditNote = {
      kind: 'break-glass',
      action: 'break-glass.review',
      actor: actor.userId,
      organization: actor.orgId,
      decision: 'permit',
      reason: `grant ${id} reviewed: ${outcome}`,
      patients: [grant.patientKey],
      time: now,
    };
    await recordedChange(
      record,
      audit,
      async () => {
        const done = await this.db
          .updateTable('policy_break_glass')
          .set({
            reviewed_at: now,
            reviewed_by: actor.userId,
            review_outcome: outcome,
            review_note: note.trim(),
          })
          .where('tenant_id', '=', this.options.tenant)
          .where('id', '=', id)
          .where('reviewed_at', 'is', null)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1) throw alreadyReviewed(id);
      },
      this.clock,
    );
    const reviewed: BreakGlassGrant = {
      ...grant,
      review: { at: now, by: actor.userId, outcome, note: note.trim() },
    };
    const key = `${grant.userId}\u0000${grant.patientKey}`;
    if (this.latest.get(key)?.id === id) this.latest.set(key, reviewed);
    return { grant: reviewed, audit };
  }

  private remember(grant: BreakGlassGrant): void {
    const key = `${grant.userId}\u0000${grant.patientKey}`;
    const known = this.latest.get(key);
    if (known === undefined || known.expiresAt <= grant.expiresAt) this.latest.set(key, grant);
  }
}

const alreadyReviewed = (id: string) =>
  conflict(`break-glass grant ${id} was already reviewed`, { zh: `破窗授权 ${id} 已审查过` });

function checkTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_BREAK_GLASS_TTL_MS)
    throw badRequest(`a break-glass grant lasts between 1 ms and ${MAX_BREAK_GLASS_TTL_MS / 3_600_000} h`, {
      path: 'ttl',
      zh: `破窗授权时长须在 ${MAX_BREAK_GLASS_TTL_MS / 3_600_000} 小时以内`,
    });
  return ttlMs;
}

const grantOf = (r: Row): BreakGlassGrant => ({
  id: r.id,
  patientKey: r.patient_key,
  userId: r.user_id,
  orgId: r.org_id,
  reason: r.reason,
  declaredAt: r.declared_at,
  expiresAt: r.expires_at,
  review:
    r.reviewed_at === null
      ? undefined
      : {
          at: r.reviewed_at,
          by: r.reviewed_by ?? '',
          outcome: r.review_outcome as ReviewOutcome,
          note: r.review_note ?? '',
        },
});
