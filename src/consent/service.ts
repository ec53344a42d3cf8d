/**
 * The consent service: the one object the server, guard and later modules use. It keeps each
 * patient's consent compiled in memory for evaluation, and makes every change a signed version
 * that is in force from the very next evaluation: a change replaces the compiled entry and bumps
 * the patient's epoch, so a load that started before the change cannot put the old rules back.
 */
import { forbidden, LruCache, notFound, systemClock, type Clock, type TenantId } from '../core/index.js';
import { jwks, type KeyProvider } from '../crypto/index.js';
import { PatientCipher } from '../crypto/index.js';
import type { GradingScheme } from '../classify/index.js';
import type { OrganizationType, Principal } from '../identity/index.js';
import type { Store } from '../store/index.js';
import { Complaints, type Complaint, type ComplaintStatus, type NewComplaint } from './complaints.js';
import { InclusionRegistry, type DerivedKind, type Inclusion, type UseOfData } from './derived.js';
import { CompiledConsent } from './evaluate.js';
import { fromFhirConsent, toFhirConsent } from './fhir.js';
import { isActive, majorityAt, type Guardianship, type Relationship, RELATIONSHIPS } from './guardians.js';
import type {
  ActingCapacity,
  ChangeAction,
  Consent,
  ConsentDecision,
  ConsentQuery,
  ConsentVersion,
  ExplainedDecision,
  Recipient,
  RuleId,
  RuleInput,
} from './model.js';
import { precedenceOf, type Overlap } from './overlaps.js';
import { SamePerson, type LinkedRecordsSource } from './person.js';
import { RECEIPT_KEY, signReceipt, verifyReceipt, type ReceiptClaims } from './receipt.js';
import { ConsentRepository } from './repository.js';
import { toGuardianship } from './rows.js';
import { validateRule, type RawRule } from './validate.js';
import { badRequest } from '../core/index.js';

/** Who acts, and the request that ties the ledger to the logs (guard's `Access` fits). */
export interface ConsentActor {
  principal: Principal;
  requestId?: string | undefined;
}

/** What the service asks the ledger to record (guard's `ConsentGate` writes it). */
export interface ConsentAuditEvent {
  kind: 'consent-change' | 'access-decision' | 'read';
  actor: ConsentActor;
  patients: readonly string[];
  action: string;
  decision: 'permit' | 'deny';
  reason?: string | undefined;
  resources?: readonly string[] | undefined;
}

/** Records an event durably before the caller answers; a failure fails the request. */
export type ConsentAudit = (event: ConsentAuditEvent) => Promise<void>;

export interface ConsentServiceOptions {
  store: Store;
  tenant: TenantId;
  /** The tenant's grading scheme: its handling rules give the defaults per grade and purpose. */
  scheme: GradingScheme;
  keys: KeyProvider;
  /** The `iss` of consent receipts (the server's public URL). */
  issuer: string;
  clock?: Clock;
  audit?: ConsentAudit;
  /** The type of an organization, for rules that name organization types. */
  organizationType?: (orgId: string) => Promise<OrganizationType | undefined>;
  /** Patients whose compiled consent stays in memory. Default 10,000. */
  cacheSize?: number;
  /** How long a compiled consent serves before it is read again (bounds what another process's change takes to arrive). Default 60 s. */
  cacheTtlMs?: number;
  /**
   * The Patient records of the same person at other organizations (the patient index): the
   * person's rules on all of them decide for each (see person.ts). Without it, each record's
   * consent is its own.
   */
  linkedRecords?: LinkedRecordsSource;
}

export interface ChangeOutcome {
  consent: Consent;
  version: ConsentVersion;
  /** How the new rules overlap the others, and which wins where both apply. */
  overlaps: Overlap[];
  /** Derived data that the change withdrew the patient from. */
  flagged: Inclusion[];
}

/** A patient's consent as the portal shows it. */
export interface ConsentView {
  consent: Consent;
  actedAs: ActingCapacity;
  /** Which rule wins where two overlap; null when there are too many rules to list pairs. */
  precedence: Overlap[] | null;
  /**
   * The consents of the person's other records (the patient index links them) that have rules:
   * those rules decide together with these, for every record of the person (person.ts).
   */
  linked: Consent[];
}

/** The most rules whose pairwise precedence a view lists (pairs grow with the square). */
const MAX_PAIRWISE = 300;

export class ConsentService {
  private currentScheme: GradingScheme;
  readonly inclusions: InclusionRegistry;
  readonly complaints: Complaints;
  private readonly repo: ConsentRepository;
  private readonly clock: Clock;
  private readonly cache: LruCache<string, CompiledConsent>;
  private readonly loading = new Map<string, Promise<CompiledConsent>>();
  /** Bumped by every change of a patient's consent: a load begun under an older epoch is not cached. */
  private readonly epochs = new Map<string, number>();
  private readonly writing = new Map<string, Promise<unknown>>();
  private readonly orgTypes = new Map<string, OrganizationType | undefined>();
  private readonly samePerson: SamePerson | undefined;

  constructor(private readonly options: ConsentServiceOptions) {
    this.currentScheme = options.scheme;
    this.clock = options.clock ?? systemClock;
    this.repo = new ConsentRepository(options.store, options.tenant);
    this.inclusions = new InclusionRegistry(this.repo.db, options.tenant);
    this.complaints = new Complaints(
      this.repo.db,
      options.tenant,
      new PatientCipher({ store: options.store, keys: options.keys, clock: this.clock }),
    );
    this.cache = new LruCache(options.cacheSize ?? 10_000, options.cacheTtlMs ?? 60_000, () =>
      this.clock.now(),
    );
    this.samePerson =
      options.linkedRecords && new SamePerson(options.linkedRecords, this.clock, options.cacheSize);
  }

  /** The tenant's grading scheme, whose handling rules give the defaults. */
  get scheme(): GradingScheme {
    return this.currentScheme;
  }

  /**
   * The tenant switched schemes: every compiled consent is dropped and compiled again under the
   * new defaults. Rules that name grades keep the ids they named (grades of the old scheme no
   * longer match anything); the portal shows them, and the patient can restate them.
   */
  useScheme(scheme: GradingScheme): void {
    this.currentScheme = scheme;
    for (const patient of this.loading.keys()) this.epochs.set(patient, (this.epochs.get(patient) ?? 0) + 1);
    this.loading.clear();
    this.cache.clear();
  }

  // Evaluation (guard calls these).

  /** A Patient was written: the patient index may link records anew (see `SamePerson.forgetLinks`). */
  patientsChanged(): void {
    this.samePerson?.forgetLinks();
  }

  /** The decision for one use of one patient's data, with the rule that decided. */
  async evaluate(query: ConsentQuery): Promise<ConsentDecision> {
    const compiled = await this.deciding(query.patient);
    return compiled.decide(await this.typed(query), this.clock.now());
  }

  /**
   * Whether the patient's rules look at labels (see `CompiledConsent.readsLabels`): undefined
   * until their consent is compiled (by `evaluate`), and then the labels should be given.
   */
  readsLabels(patient: string): boolean | undefined {
    return this.decidingCached(patient)?.readsLabels;
  }

  /**
   * The same, synchronously, when the patient's consent is compiled and the recipient's
   * organization type known (or not needed): undefined otherwise, then call `evaluate`.
   */
  evaluateCached(query: ConsentQuery): ConsentDecision | undefined {
    const compiled = this.decidingCached(query.patient);
    if (!compiled) return undefined;
    const r = query.recipient;
    if (r.organizationType !== undefined || !this.options.organizationType)
      return compiled.decide(query, this.clock.now());
    if (!this.orgTypes.has(r.organization)) return undefined;
    return compiled.decide(withOrganizationType(query, this.orgTypes.get(r.organization)), this.clock.now());
  }

  /** The decision with every rule that applied and why it did or did not decide (for the portal). */
  async explain(actor: ConsentActor, query: ConsentQuery): Promise<ExplainedDecision> {
    await this.capacity(actor, query.patient, 'consent.explain');
    const compiled = await this.deciding(query.patient);
    return compiled.explain(await this.typed(query), this.clock.now());
  }

  // The patient's (or guardian's) side.

  async view(actor: ConsentActor, patient: string): Promise<ConsentView> {
    const actedAs = await this.capacity(actor, patient, 'consent.view');
    const consent = (await this.compiled(patient)).consent;
    const precedence =
      consent.rules.length <= MAX_PAIRWISE ? precedenceOf(consent.rules, consent.rules) : null;
    const linked: Consent[] = [];
    for (const other of (await this.samePerson?.others(patient)) ?? []) {
      const theirs = (await this.compiled(other)).consent;
      if (theirs.rules.length > 0) linked.push(theirs);
    }
    return { consent, actedAs, precedence, linked };
  }

  /** Adds grant and deny rules (one version, whatever the number). */
  async addRules(actor: ConsentActor, patient: string, raw: readonly RawRule[]): Promise<ChangeOutcome> {
    if (raw.length === 0)
      throw badRequest('rules must list at least one rule', {
        path: 'rules',
        zh: 'rules 须至少包含一条规则',
      });
    const rules = raw.map((r, i) => validateRule(r, this.scheme, `rules[${i}]`));
    const action: ChangeAction = rules.every((r) => r.effect === 'deny') ? 'deny' : 'grant';
    return this.change(actor, patient, action, rules, () => []);
  }

  /** Revokes rules in force by id, or every grant (`all-grants`): from the next request on. */
  async revoke(
    actor: ConsentActor,
    patient: string,
    which: readonly string[] | 'all-grants',
  ): Promise<ChangeOutcome> {
    return this.change(actor, patient, 'revoke', [], (current) => {
      if (which === 'all-grants') return current.rules.filter((r) => r.effect === 'grant').map((r) => r.id);
      const inForce = new Set<string>(current.rules.map((r) => r.id));
      const unknown = which.filter((id) => !inForce.has(id));
      if (unknown.length > 0)
        throw notFound(`no rule in force has the id ${unknown.join(', ')}`, {
          zh: `没有有效规则的标识为 ${unknown.join('、')}`,
          hint: 'list the consent to see the rules in force and their ids',
        });
      if (which.length === 0)
        throw badRequest('name at least one rule to revoke, or all-grants', {
          path: 'rules',
          zh: '请至少指定一条要撤回的规则，或使用 all-grants',
        });
      return which as RuleId[];
    });
  }

  /** Replaces every rule in force with the provisions of a FHIR R4 Consent. */
  async importFhir(actor: ConsentActor, patient: string, body: unknown): Promise<ChangeOutcome> {
    const raw = fromFhirConsent(body, patient, this.scheme);
    const rules = raw.map((r, i) => validateRule(r, this.scheme, `Consent.provision[${i}]`));
    return this.change(actor, patient, 'import', rules, (current) => current.rules.map((r) => r.id));
  }

  async exportFhir(actor: ConsentActor, patient: string) {
    await this.capacity(actor, patient, 'consent.export');
    return toFhirConsent((await this.compiled(patient)).consent, this.scheme);
  }

  async history(actor: ConsentActor, patient: string): Promise<ConsentVersion[]> {
    await this.capacity(actor, patient, 'consent.history');
    return this.repo.history(patient);
  }

  /** A version's receipt, verified again against the published keys before it is handed out. */
  async receipt(
    actor: ConsentActor,
    patient: string,
    version: number,
  ): Promise<{ receipt: string; claims: ReceiptClaims }> {
    await this.capacity(actor, patient, 'consent.receipt');
    const v = await this.repo.version(patient, version);
    if (!v)
      throw notFound(`the consent has no version ${version}`, {
        zh: `同意记录没有第 ${version} 版`,
        hint: 'list the history for the versions there are',
      });
    return { receipt: v.receipt, claims: await this.verifyReceipt(v.receipt) };
  }

  async verifyReceipt(jws: string): Promise<ReceiptClaims> {
    return verifyReceipt(jws, await this.options.keys.verificationKeys(RECEIPT_KEY), this.options.issuer);
  }

  /** The public keys receipts are signed with (a JWK Set), for anyone to verify a receipt. */
  async receiptKeys() {
    return jwks(await this.options.keys.verificationKeys(RECEIPT_KEY));
  }

  /** Derived data (datasets, agreements, projects) that included the patient, with flags. */
  async derivedFor(actor: ConsentActor, patient: string): Promise<Inclusion[]> {
    await this.capacity(actor, patient, 'consent.derived');
    return this.inclusions.forPatient(patient);
  }

  // Guardians.

  /**
   * Registers a guardian for a minor (privacy officer or administrator; the caller has read the
   * Patient through guard, which is where `birthDate` comes from). Refused for an adult.
   */
  async registerGuardian(
    actor: ConsentActor,
    patient: string,
    input: { guardian: string; relationship: string; birthDate: string },
  ): Promise<Guardianship> {
    requireRole(actor, ['privacy-officer', 'admin'], 'register a guardian', '登记监护人');
    if (!(RELATIONSHIPS as readonly string[]).includes(input.relationship))
      throw badRequest(`relationship must be one of ${RELATIONSHIPS.join(', ')}`, {
        path: 'relationship',
        zh: `relationship 须为 ${RELATIONSHIPS.join('、')} 之一`,
      });
    const now = this.clock.now();
    const endsAt = majorityAt(input.birthDate);
    if (endsAt <= now)
      throw badRequest('the patient is of age: an adult manages their own consent', {
        zh: '该患者已成年，由本人管理同意',
        hint: 'guardianship is only for minors (under 18)',
      });
    const row = {
      tenant_id: this.options.tenant,
      patient_key: patient,
      guardian_user_id: input.guardian,
      relationship: input.relationship as Relationship,
      starts_at: now,
      ends_at: endsAt,
      registered_by: actor.principal.userId,
      registered_at: now,
      ended_at: null,
    };
    await this.repo.db
      .insertInto('consent_guardian')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'patient_key', 'guardian_user_id']).doUpdateSet({
          relationship: row.relationship,
          starts_at: now,
          ends_at: endsAt,
          registered_by: row.registered_by,
          registered_at: now,
          ended_at: null,
        }),
      )
      .execute();
    await this.record({
      kind: 'consent-change',
      actor,
      patients: [patient],
      action: 'guardian.register',
      decision: 'permit',
      reason: `guardian ${input.guardian} (${input.relationship}) until majority`,
    });
    return toGuardianship(row);
  }

  /** The minors whose consent this person manages now. */
  async wards(actor: ConsentActor): Promise<Guardianship[]> {
    const rows = await this.repo.db
      .selectFrom('consent_guardian')
      .selectAll()
      .where('tenant_id', '=', this.options.tenant)
      .where('guardian_user_id', '=', actor.principal.userId)
      .execute();
    const now = this.clock.now();
    return rows.map(toGuardianship).filter((g) => isActive(g, now));
  }

  // Derived data (sharing and de-identification call these).

  async include(
    actor: ConsentActor,
    derived: { kind: DerivedKind; id: string },
    use: UseOfData,
    patients: readonly string[],
  ): Promise<number> {
    return this.inclusions.include(derived, use, patients, actor.principal.userId, this.clock.now());
  }

  /** Which patients a release may include (see `InclusionRegistry.screenRelease`). */
  async screenRelease(
    patients: readonly string[],
    use: UseOfData,
    derivedFrom?: { kind: DerivedKind; id: string },
  ) {
    return this.inclusions.screenRelease(
      patients,
      use,
      (q) => this.evaluate(q),
      this.clock.now(),
      derivedFrom,
    );
  }

  // Complaints.

  async fileComplaint(actor: ConsentActor, patient: string, input: NewComplaint): Promise<Complaint> {
    await this.capacity(actor, patient, 'complaint.file');
    const complaint = await this.complaints.file(patient, input, actor.principal.userId, this.clock.now());
    await this.record({
      kind: 'consent-change',
      actor,
      patients: [patient],
      action: 'complaint.file',
      decision: 'permit',
      reason: `complaint ${complaint.id} about ${input.topic}`,
    });
    return complaint;
  }

  async complaintsOf(actor: ConsentActor, patient: string): Promise<Complaint[]> {
    await this.capacity(actor, patient, 'complaint.list');
    return this.complaints.forPatient(patient);
  }

  /** The complaints about the staff member's organization (privacy officer, administrator). */
  async organizationComplaints(actor: ConsentActor, status?: ComplaintStatus): Promise<Complaint[]> {
    requireRole(actor, ['privacy-officer', 'admin'], 'handle complaints', '处理投诉');
    const list = await this.complaints.forOrganization(actor.principal.orgId, status);
    if (list.length > 0)
      await this.record({
        kind: 'read',
        actor,
        patients: list.map((c) => c.patient),
        action: 'complaint.list',
        decision: 'permit',
      });
    return list;
  }

  async setComplaintStatus(actor: ConsentActor, id: string, status: ComplaintStatus): Promise<Complaint> {
    requireRole(actor, ['privacy-officer', 'admin'], 'handle complaints', '处理投诉');
    const complaint = await this.complaints.get(id);
    if (complaint.organization !== actor.principal.orgId) {
      await this.record({
        kind: 'access-decision',
        actor,
        patients: [complaint.patient],
        action: 'complaint.status',
        decision: 'deny',
        reason: 'other-organization',
      });
      throw forbidden('the complaint concerns another organization', {
        zh: '该投诉涉及其他机构',
        hint: "that organization's privacy officer handles it",
      });
    }
    const updated = await this.complaints.setStatus(id, status, actor.principal.userId, this.clock.now());
    await this.record({
      kind: 'consent-change',
      actor,
      patients: [complaint.patient],
      action: 'complaint.status',
      decision: 'permit',
      reason: `complaint ${id} ${status}`,
    });
    return updated;
  }

  // Inside.

  /** In what capacity the actor may act on the patient's consent; refusals are recorded, then 403. */
  private async capacity(actor: ConsentActor, patient: string, action: string): Promise<ActingCapacity> {
    const p = actor.principal;
    if (p.roles.includes('patient') && p.patientRef !== null && idOf(p.patientRef) === patient) return 'self';
    const row = await this.repo.db
      .selectFrom('consent_guardian')
      .selectAll()
      .where('tenant_id', '=', this.options.tenant)
      .where('patient_key', '=', patient)
      .where('guardian_user_id', '=', p.userId)
      .executeTakeFirst();
    const now = this.clock.now();
    const guardianship = row && toGuardianship(row);
    if (guardianship && isActive(guardianship, now)) return 'guardian';
    const ended = guardianship !== undefined;
    await this.record({
      kind: 'access-decision',
      actor,
      patients: [patient],
      action,
      decision: 'deny',
      reason: ended ? 'guardianship-ended' : 'not-own-consent',
    });
    throw forbidden(
      ended
        ? 'your guardianship of this patient has ended (the patient came of age, or it was ended)'
        : "a patient may act only on their own consent, or a minor's they are the guardian of",
      {
        zh: ended
          ? '您对该患者的监护已终止（患者已成年或监护被终止）'
          : '患者只能管理本人或其监护的未成年人的同意',
        hint: ended ? 'the patient now manages their own consent' : 'sign in as the patient concerned',
      },
    );
  }

  private async change(
    actor: ConsentActor,
    patient: string,
    action: ChangeAction,
    add: readonly RuleInput[],
    toRemove: (current: Consent) => readonly RuleId[],
  ): Promise<ChangeOutcome> {
    const actedAs = await this.capacity(actor, patient, `consent.${action}`);
    // One change per patient at a time in this process; the version key guards across processes.
    const previous = this.writing.get(patient) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const current = await this.repo.load(patient);
        const remove = toRemove(current);
        const at = this.clock.now();
        const key = await this.options.keys.signingKey(RECEIPT_KEY);
        const result = await this.repo.change(
          patient,
          { action, add, remove, changedBy: actor.principal.userId, actedAs, at },
          (facts) => signReceipt(key, this.options.issuer, { ...facts, scheme: this.scheme.id }),
        );
        this.install(patient, result.after);
        return result;
      });
    this.writing.set(patient, run);
    try {
      const { after, version } = await run;
      // The person's rules decide for their linked records too: those are weighed again as well.
      const flagged: Inclusion[] = [];
      for (const record of [patient, ...((await this.samePerson?.others(patient)) ?? [])])
        flagged.push(
          ...(await this.inclusions.reweigh(
            record,
            version.version,
            (q) => this.evaluate(q),
            this.clock.now(),
          )),
        );
      const addedIds = new Set<string>(version.added);
      const overlaps = precedenceOf(
        after.rules.filter((r) => addedIds.has(r.id)),
        after.rules,
      );
      await this.record({
        kind: 'consent-change',
        actor,
        patients: [patient],
        action: `consent.${action}`,
        decision: 'permit',
        reason: `version ${version.version} as ${actedAs}: ${version.added.length} added, ${version.removed.length} revoked${flagged.length ? `, ${flagged.length} derived items flagged` : ''}`,
        resources: [`Consent/${after.consentId}`],
      });
      return { consent: after, version, overlaps, flagged };
    } finally {
      if (this.writing.get(patient) === run) this.writing.delete(patient);
    }
  }

  /** The new consent in force at once: the compiled entry replaced, older loads disowned. */
  private install(patient: string, consent: Consent): void {
    this.epochs.set(patient, (this.epochs.get(patient) ?? 0) + 1);
    this.loading.delete(patient);
    this.cache.set(patient, new CompiledConsent(this.scheme, consent));
  }

  /** The consent that decides for a patient's record: its own, or its person's (person.ts). */
  private async deciding(patient: string): Promise<CompiledConsent> {
    const own = this.cache.get(patient) ?? (await this.compiled(patient));
    if (!this.samePerson) return own;
    const others = await this.samePerson.others(patient);
    if (others.length === 0) return own;
    const linked = await Promise.all(others.map((p) => this.cache.get(p) ?? this.compiled(p)));
    return this.samePerson.consentOf(patient, own, linked);
  }

  /** The same from what is in memory alone: undefined when something must be looked up. */
  private decidingCached(patient: string): CompiledConsent | undefined {
    const own = this.cache.get(patient);
    if (!own || !this.samePerson) return own;
    const others = this.samePerson.othersCached(patient);
    if (others === undefined || others.length === 0) return others && own;
    const linked: CompiledConsent[] = [];
    for (const p of others) {
      const compiled = this.cache.get(p);
      if (!compiled) return undefined;
      linked.push(compiled);
    }
    return this.samePerson.consentOf(patient, own, linked);
  }

  private compiled(patient: string): Promise<CompiledConsent> {
    const hit = this.cache.get(patient);
    if (hit) return Promise.resolve(hit);
    const pending = this.loading.get(patient);
    if (pending) return pending;
    const epoch = this.epochs.get(patient) ?? 0;
    const load = this.repo
      .load(patient)
      .then((consent) => {
        const compiled = new CompiledConsent(this.scheme, consent);
        if ((this.epochs.get(patient) ?? 0) === epoch) this.cache.set(patient, compiled);
        return compiled;
      })
      .finally(() => {
        if (this.loading.get(patient) === load) this.loading.delete(patient);
      });
    this.loading.set(patient, load);
    return load;
  }

  /** The query with the recipient's organization type filled in (looked up once per organization). */
  private async typed(query: ConsentQuery): Promise<ConsentQuery> {
    const r = query.recipient;
    const lookup = this.options.organizationType;
    if (r.organizationType !== undefined || !lookup) return query;
    if (!this.orgTypes.has(r.organization))
      this.orgTypes.set(r.organization, await lookup(r.organization).catch(() => undefined));
    const organizationType = this.orgTypes.get(r.organization);
    return organizationType === undefined ? query : withOrganizationType(query, organizationType);
  }

  private async record(event: ConsentAuditEvent): Promise<void> {
    await this.options.audit?.(event);
  }
}

function requireRole(actor: ConsentActor, roles: readonly string[], what: string, zh: string): void {
  if (!actor.principal.roles.some((r) => roles.includes(r)))
    throw forbidden(`only a ${roles.join(' or ')} may ${what}`, {
      zh: `只有${roles.map((r) => (r === 'admin' ? '管理员' : '隐私官')).join('或')}可以${zh}`,
    });
}

/** `Patient/123` or `123` → `123`. */
const idOf = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

export type { Recipient };

/**
 * The query with the recipient's organization type, built field by field: a nested spread costs
 * about a microsecond on Node 20, and guard asks this on every read of patient data.
 */
function withOrganizationType(
  query: ConsentQuery,
  organizationType: OrganizationType | undefined,
): ConsentQuery {
  const r = query.recipient;
  const recipient: Recipient = { organization: r.organization, organizationType };
  if (r.project !== undefined) recipient.project = r.project;
  if (r.agreement !== undefined) recipient.agreement = r.agreement;
  const typed: ConsentQuery = {
    patient: query.patient,
    labels: query.labels,
    grade: query.grade,
    purpose: query.purpose,
    recipient,
  };
  if (query.time !== undefined) typed.time = query.time;
  return typed;
}
