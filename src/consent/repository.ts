/**
 * The consent tables as versioned state: reading a patient's consent, writing one change as a
 * new version in one transaction, and the history.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { conflict, uuidv7, type TenantId } from '../core/index.js';
import type { Store } from '../store/index.js';
import type {
  ActingCapacity,
  ChangeAction,
  Consent,
  ConsentId,
  ConsentRule,
  ConsentVersion,
  PatientKey,
  RuleId,
  RuleInput,
} from './model.js';
import { rulesHash, type ReceiptFacts } from './receipt.js';
import { scopeJson, toJson, toRule, toVersion } from './rows.js';
import type { ConsentTables } from './tables.js';

export interface ChangeRequest {
  action: ChangeAction;
  add: readonly RuleInput[];
  /** Rules in force to take out (already checked to be in force). */
  remove: readonly RuleId[];
  changedBy: string;
  actedAs: ActingCapacity;
  at: number;
}

export class ConsentRepository {
  readonly db: Kysely<ConsentTables>;

  constructor(
    store: Store,
    readonly tenant: TenantId,
  ) {
    this.db = store.tables<ConsentTables>();
  }

  /** The consent in force; version 0 with no rules when the patient never changed anything. */
  async load(patient: string, db: Kysely<ConsentTables> = this.db): Promise<Consent> {
    const record = await db
      .selectFrom('consent_record')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .executeTakeFirst();
    if (!record)
      return {
        consentId: consentIdOf(this.tenant, patient),
        patient: patient as PatientKey,
        version: 0,
        rules: [],
        updatedAt: undefined,
      };
    const rows = await db
      .selectFrom('consent_rule')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .where('removed_in', 'is', null)
      .orderBy('seq')
      .execute();
    return {
      consentId: record.consent_id as ConsentId,
      patient: patient as PatientKey,
      version: record.version,
      rules: rows.map(toRule),
      updatedAt: record.updated_at,
    };
  }

  /**
   * Writes one change as the next version, in one transaction; `sign` makes the receipt from the
   * version's facts. Two writers racing for the same version: the loser gets 409.
   */
  async change(
    patient: string,
    request: ChangeRequest,
    sign: (facts: Omit<ReceiptFacts, 'scheme'>) => Promise<string>,
  ): Promise<{ before: Consent; after: Consent; version: ConsentVersion }> {
    return this.db.transaction().execute(async (trx) => {
      const before = await this.load(patient, trx);
      const version = before.version + 1;
      const maxSeq = await trx
        .selectFrom('consent_rule')
        .select((eb) => eb.fn.max<number>('seq').as('seq'))
        .where('tenant_id', '=', this.tenant)
        .where('patient_key', '=', patient)
        .executeTakeFirst();
      let seq = Number(maxSeq?.seq ?? 0);
      const added: ConsentRule[] = request.add.map((input) => ({
        ...input,
        id: uuidv7(request.at) as RuleId,
        seq: ++seq,
        recipient: input.recipient ?? { kind: 'any' },
        period: input.period ?? {},
        addedIn: version,
      }));
      const removed = new Set<string>(request.remove);
      const rules = [...before.rules.filter((r) => !removed.has(r.id)), ...added];
      const hash = rulesHash(rules);
      const receipt = await sign({
        consentId: before.consentId,
        patient,
        version,
        action: request.action,
        actedAs: request.actedAs,
        changedBy: request.changedBy,
        changedAt: request.at,
        added: added.map((r) => r.id),
        removed: [...request.remove],
        rulesHash: hash,
        ruleCount: rules.length,
      });
      // The version row first: its primary key is what makes a racing writer fail cleanly.
      try {
        await trx
          .insertInto('consent_version')
          .values({
            tenant_id: this.tenant,
            patient_key: patient,
            version,
            action: request.action,
            added: toJson(added.map((r) => r.id)),
            removed: toJson([...request.remove]),
            rules_hash: hash,
            rule_count: rules.length,
            changed_at: request.at,
            changed_by: request.changedBy,
            acted_as: request.actedAs,
            receipt,
          })
          .execute();
      } catch (e) {
        throw conflict('the consent was changed at the same moment by another request', {
          zh: '同意已被另一请求同时修改',
          hint: 'read the consent again and repeat the change',
          cause: e,
        });
      }
      for (let i = 0; i < added.length; i += 200)
        await trx
          .insertInto('consent_rule')
          .values(
            added.slice(i, i + 200).map((r) => ({
              tenant_id: this.tenant,
              patient_key: patient,
              id: r.id,
              seq: r.seq,
              effect: r.effect,
              scope: scopeJson(r),
              added_in: version,
              removed_in: null,
            })),
          )
          .execute();
      const removing = [...removed];
      for (let i = 0; i < removing.length; i += 500)
        await trx
          .updateTable('consent_rule')
          .set({ removed_in: version })
          .where('tenant_id', '=', this.tenant)
          .where('patient_key', '=', patient)
          .where('id', 'in', removing.slice(i, i + 500))
          .execute();
      await trx
        .insertInto('consent_record')
        .values({
          tenant_id: this.tenant,
          patient_key: patient,
          consent_id: before.consentId,
          version,
          updated_at: request.at,
        })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'patient_key']).doUpdateSet({ version, updated_at: request.at }),
        )
        .execute();
      const row = await trx
        .selectFrom('consent_version')
        .selectAll()
        .where('tenant_id', '=', this.tenant)
        .where('patient_key', '=', patient)
        .where('version', '=', version)
        .executeTakeFirstOrThrow();
      return {
        before,
        after: { ...before, version, rules, updatedAt: request.at },
        version: toVersion(before.consentId, row),
      };
    });
  }

  /** Every version, newest first. */
  async history(patient: string): Promise<ConsentVersion[]> {
    const consentId = consentIdOf(this.tenant, patient);
    const rows = await this.db
      .selectFrom('consent_version')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => toVersion(consentId, r));
  }

  async version(patient: string, version: number): Promise<ConsentVersion | undefined> {
    const row = await this.db
      .selectFrom('consent_version')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && toVersion(consentIdOf(this.tenant, patient), row);
  }

  /** The rules in force at an earlier version (rules added by then and not yet removed). */
  async rulesAt(patient: string, version: number): Promise<ConsentRule[]> {
    const rows = await this.db
      .selectFrom('consent_rule')
      .selectAll()
      .where('tenant_id', '=', this.tenant)
      .where('patient_key', '=', patient)
      .where('added_in', '<=', version)
      .where((eb) => eb.or([eb('removed_in', 'is', null), eb('removed_in', '>', version)]))
      .orderBy('seq')
      .execute();
    return rows.map(toRule);
  }
}

/**
 * A patient's consent id: derived from tenant and patient (a UUIDv8-shaped name), so the FHIR
 * Consent has one stable id from the first read on, before anything is stored.
 */
function consentIdOf(tenant: string, patient: string): ConsentId {
  const hex = createHashHex(`custodia.consent.v1\u0000${tenant}\u0000${patient}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}` as ConsentId;
}

const createHashHex = (text: string) => createHash('sha256').update(text).digest('hex');
