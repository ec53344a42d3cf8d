/**
 * Public-health emergency mode (突发公共卫生事件, seed 002 §6.2.1, §7.1.2): a regulator declares
 * an emergency scoped by purpose, data category and region (GB/T 2260 division code prefixes), for
 * a limited time. While it is in force, uses inside its scope get `context.emergency` (which the
 * seed scheme's grade 1 requires, together with a separate consent), and every such use is flagged
 * for review. `covering` is on the read path and answers from memory; `refresh()` picks up
 * declarations made by another process.
 */
import { createHash } from 'node:crypto';
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
import { DATA_CATEGORIES, isPurpose, PURPOSES, type DataCategory, type Purpose } from '../classify/index.js';
import type { Role } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { recordedChange, type PolicyAuditNote, type PolicyRecorder } from './audit.js';
import type { EmergencyInput } from './model.js';
import { fromJson, toJson, type PolicyTables } from './tables.js';

/** The longest declaration: an emergency is renewed explicitly, not left open. */
export const MAX_EMERGENCY_MS = 90 * 24 * 3_600_000;
/** Who declares and ends emergencies. */
export const EMERGENCY_DECLARERS: readonly Role[] = ['regulator'];

export interface EmergencyDeclaration {
  id: string;
  declaredBy: string;
  orgId: string;
  reason: string;
  purposes: readonly Purpose[];
  categories: readonly DataCategory[];
  /** Division code prefixes (2, 4 or 6 digits): 42 is Hubei, 4201 Wuhan. */
  regions: readonly string[];
  startsAt: number;
  endsAt: number;
  endedAt: number | undefined;
}

export interface EmergencyScope {
  reason: string;
  purposes?: readonly string[];
  categories: readonly string[];
  regions: readonly string[];
  /** Default now. */
  startsAt?: number;
  durationMs: number;
}

export interface EmergencyActor {
  userId: string;
  orgId: string;
  roles: readonly Role[];
}

type Row = PolicyTables['policy_emergency'];

export class EmergencyService {
  private readonly db: Kysely<PolicyTables>;
  private readonly clock: Clock;
  private declarations: EmergencyDeclaration[] = [];

  private constructor(
    store: Store,
    private readonly tenant: TenantId,
    clock: Clock | undefined,
  ) {
    this.db = store.tables<PolicyTables>();
    this.clock = clock ?? systemClock;
  }

  static async open(options: { store: Store; tenant: TenantId; clock?: Clock }): Promise<EmergencyService> {
    const service = new EmergencyService(options.store, options.tenant, options.clock);
    await service.refresh();
    return service;
  }

  /** Reloads the declarations that are or will be in force. */
  async refresh(): Promise<void> {
    const rows = await this.db
      .selectFrom('policy_emergency')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('ends_at', '>', this.clock.now())
      .where('ended_at', 'is', null)
      .execute();
    this.declarations = rows.map(declarationOf);
  }

  /**
   * A regulator declares an emergency. Written to the ledger (through `record`) before it is
   * stored; the audit note returned is the one recorded.
   */
  async declare(
    actor: EmergencyActor,
    record: PolicyRecorder,
    scope: EmergencyScope,
  ): Promise<{ declaration: EmergencyDeclaration; audit: PolicyAuditNote }> {
    mayDeclare(actor);
    const now = this.clock.now();
    const declaration = checkScope(scope, now);
    const full: EmergencyDeclaration = {
      ...declaration,
      id: uuidv7(now),
      declaredBy: actor.userId,
      orgId: actor.orgId,
    };
    const audit = note(
      'emergency.declare',
      actor,
      `emergency ${full.id} ${new Date(full.startsAt).toISOString()}..${new Date(full.endsAt).toISOString()} regions ${regionsForAudit(full.regions)}`,
      now,
    );
    await recordedChange(
      record,
      audit,
      () =>
        this.db
          .insertInto('policy_emergency')
          .values({
            tenant_id: this.tenant,
            id: full.id,
            declared_by: full.declaredBy,
            org_id: full.orgId,
            reason: full.reason,
            purposes: toJson(full.purposes),
            categories: toJson(full.categories),
            regions: toJson(full.regions),
            starts_at: full.startsAt,
            ends_at: full.endsAt,
            ended_at: null,
            ended_by: null,
          })
          .execute(),
      this.clock,
    );
    // In force only once stored.
    this.declarations.push(full);
    return { declaration: full, audit };
  }

  /**
   * Ends a declaration before its time. Written to the ledger (through `record`) before it is
   * stored; an unknown or already ended declaration is refused before anything is recorded.
   */
  async end(actor: EmergencyActor, record: PolicyRecorder, id: string): Promise<{ audit: PolicyAuditNote }> {
    mayDeclare(actor);
    const row = await this.db
      .selectFrom('policy_emergency')
      .select('ended_at')
      .where('tenant_id', '=', this.tenant)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`emergency ${id} does not exist`, { zh: `紧急状态 ${id} 不存在` });
    if (row.ended_at !== null) throw alreadyEnded(id);
    const now = this.clock.now();
    const audit = note('emergency.end', actor, `emergency ${id} ended`, now);
    await recordedChange(
      record,
      audit,
      async () => {
        const done = await this.db
          .updateTable('policy_emergency')
          .set({ ended_at: now, ended_by: actor.userId })
          .where('tenant_id', '=', this.tenant)
          .where('id', '=', id)
          .where('ended_at', 'is', null)
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1) throw alreadyEnded(id);
      },
      this.clock,
    );
    this.declarations = this.declarations.filter((d) => d.id !== id);
    return { audit };
  }

  /** Declarations in force at `time`. */
  active(time: number = this.clock.now()): EmergencyDeclaration[] {
    return this.declarations.filter((d) => d.startsAt <= time && time < d.endsAt);
  }

  /** The declaration covering one use, if any (purpose, data category, the data's region). */
  covering(use: {
    purpose: Purpose | undefined;
    category: DataCategory;
    region: string | null | undefined;
    time?: number;
  }): EmergencyInput | undefined {
    if (use.purpose === undefined || !use.region) return undefined;
    const time = use.time ?? this.clock.now();
    for (const d of this.declarations) {
      if (d.startsAt > time || time >= d.endsAt) continue;
      if (!d.purposes.includes(use.purpose) || !d.categories.includes(use.category)) continue;
      if (d.regions.some((prefix) => use.region!.startsWith(prefix))) return { declarationId: d.id };
    }
    return undefined;
  }
}

const alreadyEnded = (id: string) =>
  conflict(`emergency ${id} has already ended`, { zh: `紧急状态 ${id} 已经结束` });

function mayDeclare(actor: EmergencyActor): void {
  if (!actor.roles.some((r) => EMERGENCY_DECLARERS.includes(r)))
    throw forbidden('only a regulator may declare or end a public-health emergency', {
      zh: '只有监管人员可以宣布或结束突发公共卫生事件应急状态',
      hint: 'ask the health authority',
    });
}

const REGION = /^\d{2}(\d{2}){0,2}$/;

function checkScope(
  scope: EmergencyScope,
  now: number,
): Omit<EmergencyDeclaration, 'id' | 'declaredBy' | 'orgId'> {
  const reason = scope.reason.trim();
  if (reason === '')
    throw badRequest('an emergency needs a reason', { path: 'reason', zh: '宣布紧急状态须说明理由' });
  const purposes = [...new Set(scope.purposes ?? ['public-health-emergency'])];
  const badPurpose = purposes.find((p) => !isPurpose(p));
  if (purposes.length === 0 || badPurpose !== undefined)
    throw badRequest(`purposes must be some of ${PURPOSES.join(', ')}`, {
      path: 'purposes',
      zh: `使用目的须为 ${PURPOSES.join('、')} 中的若干项`,
    });
  const categories = [...new Set(scope.categories)];
  if (categories.length === 0 || categories.some((c) => !(DATA_CATEGORIES as readonly string[]).includes(c)))
    throw badRequest(`categories must be some of ${DATA_CATEGORIES.join(', ')}`, {
      path: 'categories',
      zh: `数据类别须为 ${DATA_CATEGORIES.join('、')} 中的若干项`,
    });
  const regions = [...new Set(scope.regions)];
  if (regions.length === 0 || regions.some((r) => !REGION.test(r)))
    throw badRequest('regions must be GB/T 2260 division code prefixes of 2, 4 or 6 digits', {
      path: 'regions',
      zh: '区域须为 2、4 或 6 位的行政区划代码前缀',
    });
  const startsAt = scope.startsAt ?? now;
  if (!Number.isSafeInteger(scope.durationMs) || scope.durationMs <= 0 || scope.durationMs > MAX_EMERGENCY_MS)
    throw badRequest(`an emergency lasts at most ${MAX_EMERGENCY_MS / 86_400_000} days`, {
      path: 'durationMs',
      zh: `紧急状态最长持续 ${MAX_EMERGENCY_MS / 86_400_000} 天`,
    });
  return {
    reason,
    purposes: purposes as Purpose[],
    categories: categories as DataCategory[],
    regions,
    startsAt,
    endsAt: startsAt + scope.durationMs,
    endedAt: undefined,
  };
}

/** Characters of region codes the ledger entry lists; a longer scope is named by count and digest. */
const MAX_LISTED_REGIONS = 1024;

/**
 * The regions as the ledger entry names them: listed while they fit in the entry (a declaration
 * may name hundreds of counties), else their count and the SHA-256 of the list, which the stored
 * declaration can be checked against.
 */
export function regionsForAudit(regions: readonly string[]): string {
  const listed = regions.join(',');
  if (listed.length <= MAX_LISTED_REGIONS) return listed;
  return `${regions.length} codes, sha256:${createHash('sha256').update(listed).digest('hex')}`;
}

const note = (action: string, actor: EmergencyActor, reason: string, time: number): PolicyAuditNote => ({
  kind: 'policy-change',
  action,
  actor: actor.userId,
  organization: actor.orgId,
  decision: 'permit',
  reason,
  patients: [],
  time,
});

const declarationOf = (r: Row): EmergencyDeclaration => ({
  id: r.id,
  declaredBy: r.declared_by,
  orgId: r.org_id,
  reason: r.reason,
  purposes: fromJson<Purpose[]>(r.purposes),
  categories: fromJson<DataCategory[]>(r.categories),
  regions: fromJson<string[]>(r.regions),
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  endedAt: r.ended_at ?? undefined,
});
