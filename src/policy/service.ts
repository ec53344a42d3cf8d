/**
 * Policy versions: a pack is proposed (validated against the schema, stored as the next version),
 * then activated (validated again, put in force in the decision point, the previous version
 * superseded). A pack that fails validation is rejected with Cedar's messages and nothing changes:
 * the version in force stays in force. Each change is written to the ledger (through the recorder
 * the caller hands it) before it is committed: see `recordedChange`.
 */
import type { Kysely } from 'kysely';
import {
  badRequest,
  conflict,
  forbidden,
  notFound,
  systemClock,
  type Clock,
  type TenantId,
} from '../core/index.js';
import type { GradingScheme } from '../classify/index.js';
import type { Role } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { recordedChange, type PolicyAuditNote, type PolicyRecorder } from './audit.js';
import {
  compilePack,
  custodiaSchema,
  defaultPolicyFiles,
  describeProblems,
  type CompiledPack,
  type PolicyFiles,
} from './pack.js';
import { PolicyDecisionPoint } from './pdp.js';
import { fromJson, toJson, type PolicyTables } from './tables.js';

/** Who changes policies (identity's `Principal` fits). */
export interface PolicyActor {
  userId: string;
  orgId: string;
  roles: readonly Role[];
}

/** Roles that may propose and activate policies. */
export const POLICY_AUTHORS: readonly Role[] = ['privacy-officer', 'admin'];

export type PolicyStatus = 'proposed' | 'active' | 'superseded';

export interface PolicyVersionSummary {
  version: number;
  status: PolicyStatus;
  digest: string;
  note: string;
  proposedAt: number;
  proposedBy: string;
  activatedAt: number | undefined;
  activatedBy: string | undefined;
}

export interface PolicyVersion extends PolicyVersionSummary {
  files: PolicyFiles;
}

export interface PolicyChange {
  seq: number;
  version: number;
  action: 'propose' | 'activate';
  at: number;
  by: string;
  digest: string;
}

export interface PolicyServiceOptions {
  store: Store;
  tenant: TenantId;
  scheme: GradingScheme;
  clock?: Clock;
  /** Minutes east of UTC for time-of-day rules. Default +480. */
  utcOffsetMinutes?: number;
  cacheSize?: number;
  /** The pack installed as version 1 when the tenant has none. Default: Custodia's default pack. */
  initialFiles?: PolicyFiles;
}

const SYSTEM_ACTOR = 'system:policy';

/** The initial pack `open` decides with until `installInitial` has stored it. */
interface PendingPack {
  files: PolicyFiles;
  pack: CompiledPack;
}

export class PolicyService {
  private constructor(
    private readonly db: Kysely<PolicyTables>,
    private readonly tenant: TenantId,
    private readonly clock: Clock,
    /** The decision point guard asks; always holds the active version. */
    readonly pdp: PolicyDecisionPoint,
    /** The initial pack when the tenant had none, until it is stored as version 1. */
    private pending: PendingPack | undefined,
  ) {}

  /**
   * Opens the tenant's active policy version. When there is none, the decision point decides with
   * the initial pack as version 1, which `installInitial` stores (recorded in the ledger first, as
   * every change is) once the caller can record: the ledger's recorder (guard) needs the decision
   * point, so the pack cannot be stored here without storing it unrecorded.
   */
  static async open(options: PolicyServiceOptions): Promise<PolicyService> {
    const db = options.store.tables<PolicyTables>();
    const clock = options.clock ?? systemClock;
    const pdpOptions = {
      scheme: options.scheme,
      ...(options.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: options.utcOffsetMinutes }),
      ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
    };
    const active = await activeRow(db, options.tenant);
    if (active) {
      const pack = mustCompile(fromJson<PolicyFiles>(active.files), active.version);
      return new PolicyService(
        db,
        options.tenant,
        clock,
        new PolicyDecisionPoint(pack, active.version, pdpOptions),
        undefined,
      );
    }
    const files = options.initialFiles ?? defaultPolicyFiles();
    const pack = mustCompile(files, 1);
    return new PolicyService(db, options.tenant, clock, new PolicyDecisionPoint(pack, 1, pdpOptions), {
      files,
      pack,
    });
  }

  /**
   * Stores the initial pack as version 1, in force, when `open` found no version: recorded in the
   * ledger (through `record`) before it is committed. Returns the note recorded, or undefined when
   * there was nothing to install (a version was stored already, here or by another process).
   * Proposals and activations call it first, so version 1 is never taken by anything else.
   */
  async installInitial(record: PolicyRecorder): Promise<PolicyAuditNote | undefined> {
    const pending = this.pending;
    if (pending === undefined) return undefined;
    const active = await activeRow(this.db, this.tenant);
    if (active) {
      this.pending = undefined;
      this.pdp.use(mustCompile(fromJson<PolicyFiles>(active.files), active.version), active.version);
      return undefined;
    }
    const now = this.clock.now();
    const audit = auditNote('policy.activate', SYSTEM_ACTOR, SYSTEM_ACTOR, 1, pending.pack.digest, now);
    await recordedChange(
      record,
      audit,
      () =>
        this.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('policy_version')
            .values({
              tenant_id: this.tenant,
              version: 1,
              status: 'active',
              files: toJson(pending.files),
              digest: pending.pack.digest,
              note: 'initial policy pack',
              proposed_at: now,
              proposed_by: SYSTEM_ACTOR,
              activated_at: now,
              activated_by: SYSTEM_ACTOR,
            })
            .execute();
          await insertChange(trx, this.tenant, {
            version: 1,
            action: 'activate',
            at: now,
            by: SYSTEM_ACTOR,
            digest: pending.pack.digest,
          });
        }),
      this.clock,
    );
    this.pending = undefined;
    return audit;
  }

  /**
   * Stores a pack as the next version, not yet in force. Rejected (400, Cedar's messages) when it
   * does not parse or validate against the schema. The ledger entry (through `record`) comes
   * first; the audit note returned is the one recorded.
   */
  async propose(
    actor: PolicyActor,
    record: PolicyRecorder,
    files: PolicyFiles,
    note = '',
  ): Promise<{ version: PolicyVersionSummary; audit: PolicyAuditNote }> {
    mayAuthor(actor);
    const pack = compileOrReject(files);
    await this.installInitial(record);
    const now = this.clock.now();
    // The number is chosen before the ledger entry names it; a proposal committed in between
    // takes it first, and this one then fails (recorded as failed) instead of taking another.
    const version = (await lastVersion(this.db, this.tenant)) + 1;
    const audit = auditNote('policy.propose', actor.userId, actor.orgId, version, pack.digest, now);
    await recordedChange(
      record,
      audit,
      () =>
        this.db.transaction().execute(async (trx) => {
          if ((await lastVersion(trx, this.tenant)) + 1 !== version)
            throw conflict(`policy version ${version} was proposed by someone else meanwhile`, {
              zh: `策略版本 ${version} 已被他人同时提出`,
              hint: 'list the versions and propose again',
            });
          await trx
            .insertInto('policy_version')
            .values({
              tenant_id: this.tenant,
              version,
              status: 'proposed',
              files: toJson(files),
              digest: pack.digest,
              note,
              proposed_at: now,
              proposed_by: actor.userId,
              activated_at: null,
              activated_by: null,
            })
            .execute();
          await insertChange(trx, this.tenant, {
            version,
            action: 'propose',
            at: now,
            by: actor.userId,
            digest: pack.digest,
          });
        }),
      this.clock,
    );
    return {
      version: {
        version,
        status: 'proposed',
        digest: pack.digest,
        note,
        proposedAt: now,
        proposedBy: actor.userId,
        activatedAt: undefined,
        activatedBy: undefined,
      },
      audit,
    };
  }

  /**
   * Puts a proposed version in force: validated again (the schema may have changed since), then the
   * previous version is superseded and the decision point switches (its cache emptied) at once.
   * The ledger entry (through `record`) comes before the commit.
   */
  async activate(
    actor: PolicyActor,
    record: PolicyRecorder,
    version: number,
  ): Promise<{ version: PolicyVersionSummary; audit: PolicyAuditNote }> {
    mayAuthor(actor);
    await this.installInitial(record);
    const row = await this.db
      .selectFrom('policy_version')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row)
      throw notFound(`policy version ${version} does not exist`, {
        zh: `策略版本 ${version} 不存在`,
        hint: 'list the versions with GET /policies',
      });
    if (row.status !== 'proposed')
      throw conflict(`policy version ${version} is ${row.status}; only a proposed version can be activated`, {
        zh: `策略版本 ${version} 的状态为 ${row.status}，只有待生效的版本可以启用`,
        hint: 'propose the policies again to make a new version',
      });
    const pack = compileOrReject(fromJson<PolicyFiles>(row.files));
    const now = this.clock.now();
    const audit = auditNote('policy.activate', actor.userId, actor.orgId, version, pack.digest, now);
    await recordedChange(
      record,
      audit,
      () =>
        this.db.transaction().execute(async (trx) => {
          await trx
            .updateTable('policy_version')
            .set({ status: 'superseded' })
            .where('tenant_id', '=', this.tenant)
            .where('status', '=', 'active')
            .execute();
          const done = await trx
            .updateTable('policy_version')
            .set({ status: 'active', activated_at: now, activated_by: actor.userId })
            .where('tenant_id', '=', this.tenant)
            .where('version', '=', version)
            .where('status', '=', 'proposed')
            .executeTakeFirst();
          if (Number(done.numUpdatedRows) !== 1)
            throw conflict(`policy version ${version} changed while it was being activated`, {
              zh: `策略版本 ${version} 在启用过程中被修改`,
              hint: 'list the versions and try again',
            });
          await insertChange(trx, this.tenant, {
            version,
            action: 'activate',
            at: now,
            by: actor.userId,
            digest: pack.digest,
          });
        }),
      this.clock,
    );
    // In force here only once committed: a failed activation leaves the version in force as it was.
    this.pdp.use(pack, version);
    return {
      version: { ...summaryOf(row), status: 'active', activatedAt: now, activatedBy: actor.userId },
      audit,
    };
  }

  /** Every version, newest first, without the files. */
  async list(): Promise<PolicyVersionSummary[]> {
    const rows = await this.db
      .selectFrom('policy_version')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(summaryOf);
  }

  async get(version: number): Promise<PolicyVersion> {
    const row = await this.db
      .selectFrom('policy_version')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row)
      throw notFound(`policy version ${version} does not exist`, { zh: `策略版本 ${version} 不存在` });
    return { ...summaryOf(row), files: fromJson<PolicyFiles>(row.files) };
  }

  /** Every change in order: proposals and activations, by whom, with the pack's digest. */
  async history(): Promise<PolicyChange[]> {
    const rows = await this.db
      .selectFrom('policy_change')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      version: r.version,
      action: r.action as PolicyChange['action'],
      at: r.at,
      by: r.by,
      digest: r.digest,
    }));
  }

  /** Another process activated a version: load it (call on a schedule or a notification). */
  async refresh(): Promise<boolean> {
    const active = await activeRow(this.db, this.tenant);
    if (!active || active.version === this.pdp.version) return false;
    this.pdp.use(mustCompile(fromJson<PolicyFiles>(active.files), active.version), active.version);
    return true;
  }
}

type VersionRow = PolicyTables['policy_version'];

const activeRow = (db: Kysely<PolicyTables>, tenant: string) =>
  db
    .selectFrom('policy_version')
    .selectAll()
    .where('tenant_id', '=', tenant)
    .where('status', '=', 'active')
    .executeTakeFirst();

const summaryOf = (r: VersionRow): PolicyVersionSummary => ({
  version: r.version,
  status: r.status as PolicyStatus,
  digest: r.digest,
  note: r.note,
  proposedAt: r.proposed_at,
  proposedBy: r.proposed_by,
  activatedAt: r.activated_at ?? undefined,
  activatedBy: r.activated_by ?? undefined,
});

/** The highest version number stored (0 when none). */
async function lastVersion(db: Kysely<PolicyTables>, tenant: string): Promise<number> {
  const last = await db
    .selectFrom('policy_version')
    .select((eb) => eb.fn.max('version').as('max'))
    .where('tenant_id', '=', tenant)
    .executeTakeFirst();
  return Number(last?.max ?? 0);
}

async function insertChange(
  db: Kysely<PolicyTables>,
  tenant: string,
  change: Omit<PolicyChange, 'seq'>,
): Promise<void> {
  const last = await db
    .selectFrom('policy_change')
    .select((eb) => eb.fn.max('seq').as('max'))
    .where('tenant_id', '=', tenant)
    .executeTakeFirst();
  await db
    .insertInto('policy_change')
    .values({ tenant_id: tenant, seq: Number(last?.max ?? 0) + 1, ...change })
    .execute();
}

function mayAuthor(actor: PolicyActor): void {
  if (!actor.roles.some((r) => POLICY_AUTHORS.includes(r)))
    throw forbidden('only a privacy officer or an administrator may change policies', {
      zh: '只有隐私官或管理员可以修改策略',
      hint: 'ask your privacy officer',
    });
}

function compileOrReject(files: PolicyFiles): CompiledPack {
  const result = compilePack(files, custodiaSchema());
  if (result.ok) return result.pack;
  throw badRequest(`the policies do not validate against the schema: ${describeProblems(result.problems)}`, {
    zh: `策略未通过模式校验：${describeProblems(result.problems)}`,
    hint: 'fix the policies; the version in force stays in force',
  });
}

/** A stored version must still compile; if a Cedar or schema upgrade broke it, say so loudly. */
function mustCompile(files: PolicyFiles, version: number): CompiledPack {
  const result = compilePack(files, custodiaSchema());
  if (result.ok) return result.pack;
  throw new Error(
    `active policy version ${version} no longer validates: ${describeProblems(result.problems)}`,
  );
}

const auditNote = (
  action: string,
  actor: string,
  organization: string,
  version: number,
  digest: string,
  time: number,
): PolicyAuditNote => ({
  kind: 'policy-change',
  action,
  actor,
  organization,
  decision: 'permit',
  reason: `version ${version} ${digest}`,
  patients: [],
  time,
});
