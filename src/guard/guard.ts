import { CustodiaError, forbidden, type Clock, type TenantId } from '../core/index.js';
import type { KeyProvider, RewrapProgress, RewrapReport, StrongIdentifierKind } from '../crypto/index.js';
import {
  searchsetBundle,
  type EntryResult,
  type FhirResource,
  type ParsedSearch,
  type RawResource,
} from '../fhir/index.js';
import type { Ledger } from '../ledger/index.js';
import {
  executeBundle,
  type BundleChange,
  importBundle,
  importNdjson,
  linkedPatientKeys,
  relabelResources,
  type ImportResult,
  type RelabelOptions,
  type RelabelResult,
  type ReadEntry,
  type Records,
  type StoredVersion,
  type WriteContext,
  type WriteOutcome,
} from '../records/index.js';
import type { GradingScheme } from '../classify/index.js';
import type { ConsentService } from '../consent/index.js';
import type { Obligation, PolicyAction, PolicyAuditNote, PolicyDecision } from '../policy/index.js';
import { AuditTokens, type Access } from './audit.js';
import { CareTeam } from './care-team.js';
import { ConsentCheck } from './consent-check.js';
import {
  decideDirectoryRead,
  hintFor,
  PURPOSE_REQUIRED,
  REDACTED,
  searchScopeOf,
  type Denial,
} from './decision.js';
import { confirmPatient } from './patient-lookup.js';
import { OwnRecords } from './own-records.js';
import { PolicyCheck, type PolicyOptions } from './policy-check.js';
import { Recorder, type About, type RequestIds } from './recorder.js';
import { auditMarks, mergeMarks, released, releasedJson, unmetObligation } from './release.js';
import { SealedBody } from './sealed-body.js';

export interface GuardOptions {
  records: Records;
  ledger: Ledger;
  keys: KeyProvider;
  /** The policy decision point and the facts it needs besides the records' own. */
  policy: PolicyOptions;
  /** Patients' dynamic consent: its decision enters each policy decision about their data. */
  consent?: ConsentService;
  tenant: TenantId;
  clock: Clock;
}

/** A resource as read: its JSON bytes (sent as they are) and the facts about its version. */
export interface ReadResource {
  json: Buffer;
  version: StoredVersion;
}

export interface Page {
  count: number;
  offset: number;
}

/**
 * Candidates a search reads at most, past its offset, to fill a page with matches the principal
 * may see (ten pages' worth when that is more): a page that comes back short says where the
 * next one goes on reading.
 */
const SCAN_LIMIT = 1000;

/** A permit with what it obliges guard to do, or a refusal with its reason. */
type Verdict = { permit: true; obligations: readonly Obligation[] } | Denial;

/**
 * THE enforcement pipeline: every path to clinical data passes here. Each call authorizes
 * (policy, with consent, care relationship, break-glass and emergencies in its context) →
 * fetches → opens (decrypts) → carries out the permit's obligations (masks, redactions) →
 * records in the ledger (durably, before the caller answers) → returns. A denial is recorded too.
 */
export class Guard {
  private constructor(
    private readonly records: Records,
    private readonly tokens: AuditTokens,
    private readonly recorder: Recorder,
    private readonly policy: PolicyCheck,
    private readonly care: CareTeam,
    private readonly own: OwnRecords,
    private readonly consent: ConsentService | undefined,
  ) {}

  static async create(options: GuardOptions): Promise<Guard> {
    const tokens = await AuditTokens.create(options.keys, options.tenant);
    const consent = options.consent && new ConsentCheck(options.consent, options.clock);
    const care = new CareTeam(
      options.records,
      options.clock,
      options.policy.careSource,
      options.policy.careWindowDays,
    );
    const own = new OwnRecords(options.records, options.clock);
    const policy = new PolicyCheck(options.policy, care, consent, own, options.clock);
    const recorder = new Recorder(options.ledger, tokens, options.clock);
    return new Guard(options.records, tokens, recorder, policy, care, own, options.consent);
  }

  /** The keyed token under which a patient appears in the ledger. */
  patientToken(patientKey: string) {
    return this.tokens.patient(patientKey);
  }

  /**
   * The keyed tokens of the records a patient reads as their own: their Patient record's, and
   * those of the records the patient index links to it. None for anyone but a patient.
   */
  async ownPatientTokens(access: Access) {
    return this.tokens.patients(await this.own.keysOf(access.principal));
  }

  /** Records a policy module event (a policy change, break-glass, an emergency) in the ledger. */
  async recordPolicyEvent(note: PolicyAuditNote, request: RequestIds = {}): Promise<void> {
    await this.recorder.policyEvent(note, request);
  }

  /**
   * The patient key of an existing Patient record, or a 404: for a break-glass declaration.
   * Nothing is decrypted; the lookup is recorded (see patient-lookup.ts).
   */
  confirmPatient(access: Access, patientId: string): Promise<string> {
    return confirmPatient(this.records, this.recorder, access, patientId);
  }

  // Reads.

  async read(access: Access, type: string, id: string, versionId?: number): Promise<ReadResource> {
    const action = versionId === undefined ? `${type}.read` : `${type}.vread`;
    const stored =
      versionId === undefined
        ? await this.records.current(type, id)
        : await this.records.version(type, id, versionId);
    if (!stored) throw notKnown(type, id, versionId);
    if (stored.method === 'DELETE' || !stored.sealed) {
      await this.authorize(access, 'read', action, stored, undefined);
      await this.recorder.read(access, action, [stored]);
      throw deleted(type, id);
    }
    const body = new SealedBody(this.records, stored);
    const permit = await this.authorize(access, 'read', action, stored, body);
    const json = await released(body, permit.obligations);
    if (json === undefined) await this.deny(access, action, [stored], REDACTED);
    await this.recorder.read(access, action, [stored], auditMarks(permit.obligations));
    return { json: json!, version: stored };
  }

  async history(access: Access, type: string, id: string, page: Page) {
    const found = await this.records.history(type, id, page);
    if (!found) throw notKnown(type, id);
    const action = `${type}.history`;
    const currentBody = found.current.sealed ? new SealedBody(this.records, found.current) : undefined;
    const permit = await this.authorize(access, 'read', action, found.current, currentBody);
    const versions: { version: StoredVersion; resource: FhirResource | undefined }[] = [];
    for (const v of found.versions) {
      const resource = v.sealed
        ? await releasedJson(new SealedBody(this.records, v), permit.obligations)
        : undefined;
      // A version the obligations redact is left out; a deletion (no body) stays, as history shows it.
      if (v.sealed && resource === undefined) continue;
      versions.push({ version: v, resource: resource as FhirResource | undefined });
    }
    await this.recorder.read(
      access,
      action,
      versions.map((v) => v.version),
      auditMarks(permit.obligations),
    );
    return { total: found.total, versions };
  }

  /**
   * A page of a search: the matches the principal may see, as their stored JSON (see
   * `searchsetJson`). Matches the policy withholds are left out, so the page is filled by reading
   * on past them (up to `SCAN_LIMIT` candidates), and `nextOffset` is where the next page starts
   * reading. A clinician who cares for a few of a hospital's patients then gets a page of those,
   * not a page of mostly refusals with a `next` link.
   */
  async search(access: Access, search: ParsedSearch) {
    // An unknown purpose is a 400 before anything is searched, even when nothing matches.
    this.policy.purposeOf(access);
    const scope = searchScopeOf(access.principal, await this.own.keysOf(access.principal));
    const action = `${search.resourceType}.search`;
    const matches: RawResource[] = [];
    const limit = Math.max(SCAN_LIMIT, search.count * 10);
    let offset = search.offset;
    let total: number | undefined;
    let hasMore = false;
    let withheld = false;
    for (let round = 0; ; round++) {
      // Past the first round only more candidates are wanted: a count of every match is not.
      const candidates =
        round === 0
          ? search
          : { ...search, offset, count: Math.max(search.count, 100), total: 'none' as const };
      const found = await this.records.search(candidates, scope);
      if (round === 0) total = found.total;
      const need = search.count - matches.length;
      const page = await this.releasePage(
        access,
        action,
        found.rows,
        (body, obligations) => released(body, obligations),
        need,
      );
      for (const { row, out } of page.released)
        matches.push({ resourceType: row.resourceType, id: row.id, json: out });
      const { consumed } = page;
      withheld ||= page.released.length < consumed;
      offset += consumed;
      hasMore = found.hasMore || consumed < found.rows.length;
      if (!hasMore || matches.length >= search.count || offset - search.offset >= limit) break;
    }
    // A total counted before some matches were withheld would count what the caller cannot see.
    return { matches, total: withheld ? undefined : total, hasMore, nextOffset: offset };
  }

  /**
   * `Patient/{id}/$everything`: the patient's compartment, as far as the principal may see it.
   * With `linked`, the compartments of every record the patient index links to it as well (the
   * same person at other hospitals: the portal's "my records").
   */
  async everything(access: Access, patientId: string, page: Page, options: { linked?: boolean } = {}) {
    const patient = await this.records.current('Patient', patientId);
    if (!patient) throw notKnown('Patient', patientId);
    if (patient.method === 'DELETE' || !patient.sealed) {
      await this.authorize(access, 'search', 'Patient.everything', patient, undefined);
      throw deleted('Patient', patientId);
    }
    await this.authorize(
      access,
      'search',
      'Patient.everything',
      patient,
      new SealedBody(this.records, patient),
    );
    // Each resource is decided on its own below: the compartment is not limited to one organization.
    const keys = options.linked ? await linkedPatientKeys(this.records, patientId) : patientId;
    const { rows, total } = await this.records.compartment(keys, {}, page);
    const { released } = await this.releasePage(access, 'Patient.everything', rows, (body, obligations) =>
      releasedJson(body, obligations),
    );
    return {
      resources: released.map((r) => r.out as FhirResource),
      total: total - (rows.length - released.length),
    };
  }

  /** The patient index: which Patient records share a strong identifier, and which of them the principal may open. */
  async linkedPatients(access: Access, kind: StrongIdentifierKind, value: string) {
    if (this.policy.purposeOf(access) === undefined)
      await this.deny(access, 'Patient.lookup', [], PURPOSE_REQUIRED);
    const code = this.records.lookupCode(kind, value);
    const links = await this.records.linkedPatients(code);
    const patients = [];
    for (const link of links) {
      const stored = await this.records.current('Patient', link.patientId);
      const verdict = stored && (await this.verdict(access, 'search', stored, undefined));
      patients.push({ ...link, readable: verdict?.permit === true });
    }
    await this.recorder.read(
      access,
      'Patient.lookup',
      links.map((l) => ({ resourceType: 'Patient', id: l.patientId, patientKey: l.patientId })),
    );
    // Links to records the principal may not open are shown (that a record exists is what the
    // index is for); their contents stay behind each record's own decision.
    return { lookupCode: code, patients };
  }

  // Writes.

  async create(
    access: Access,
    type: string,
    body: unknown,
    ifNoneExist?: ParsedSearch,
  ): Promise<WriteOutcome> {
    const ctx = await this.writer(access, `${type}.create`, type);
    const outcome = await this.records.create(ctx, type, body, ifNoneExist);
    if (outcome.resource) await this.recordWrite(access, [change('create', outcome)]);
    return outcome;
  }

  async update(access: Access, type: string, id: string, body: unknown, ifMatch?: string) {
    const ctx = await this.writer(access, `${type}.update`, type);
    const outcome = await this.records.update(ctx, type, id, body, ifMatch);
    await this.recordWrite(access, [change('update', outcome)]);
    return outcome;
  }

  async delete(access: Access, type: string, id: string, ifMatch?: string) {
    const ctx = await this.writer(access, `${type}.delete`, type);
    const outcome = await this.records.delete(ctx, type, id, ifMatch);
    if (outcome.versionId !== undefined) await this.recordWrite(access, [change('delete', outcome)]);
    return outcome;
  }

  /** A transaction or batch: its writes as the principal's organization, its reads guarded one by one. */
  async bundle(access: Access, body: unknown, options: { baseUrl: string; maxEntries?: number }) {
    const ctx = await this.writer(access, 'Bundle.process', 'Bundle');
    const { response, changes } = await executeBundle(this.records, ctx, body, {
      ...options,
      reader: (entry) => this.readEntry(access, entry, options.baseUrl),
    });
    await this.recordWrite(access, changes);
    return response;
  }

  /** `custodia import`: NDJSON or a Bundle file, written for the principal's organization. */
  async import(
    access: Access,
    format: 'ndjson' | 'bundle',
    source: AsyncIterable<Uint8Array | string>,
    name: string,
    options: { baseUrl: string; onChunk?: (r: ImportResult) => void },
  ): Promise<ImportResult> {
    const ctx = await this.writer(access, 'import', 'Bundle');
    if (format === 'ndjson')
      return importNdjson(this.records, ctx, source, name, async (r) => {
        await this.recordWrite(access, r.changes);
        options.onChunk?.(r);
      });
    const result = await importBundle(this.records, ctx, source, name, { baseUrl: options.baseUrl });
    await this.recordWrite(access, result.changes);
    return result;
  }

  // Keys.

  async erasePatient(access: Access, patientId: string) {
    const patient = await this.records.current('Patient', patientId);
    if (!patient) throw notKnown('Patient', patientId);
    await this.authorize(access, 'erase', 'Patient.erase', patient, undefined);
    const result = await this.records.erasePatient(patientId);
    await this.recorder.keyOperation(access, 'Patient.erase', [patientId], [`Patient/${patientId}`]);
    return result;
  }

  async rotateKeys(access: Access, onProgress?: (p: RewrapProgress) => void): Promise<RewrapReport> {
    if (!access.principal.roles.includes('admin'))
      throw forbidden('only an administrator may rotate keys', { zh: '只有管理员可以轮换密钥' });
    const report = await this.records.rotateKeys(onProgress);
    await this.recorder.keyOperation(access, 'keys.rotate', []);
    return report;
  }

  /**
   * The relabelling pass after a grading-scheme switch (an administrator started it; the caller
   * records each batch): it opens stored bodies to label them again, so it runs here too.
   */
  relabel(scheme: GradingScheme, options: RelabelOptions): Promise<RelabelResult> {
    return relabelResources(this.records, scheme, options);
  }

  // The pipeline's steps.

  /** The decision about one stored resource; a refusal is recorded and answered with a 403. */
  private async authorize(
    access: Access,
    action: PolicyAction,
    audited: string,
    stored: StoredVersion,
    body: SealedBody | undefined,
  ): Promise<{ permit: true; obligations: readonly Obligation[] }> {
    const verdict = await this.verdict(access, action, stored, body);
    if (!verdict.permit) return this.deny(access, audited, [stored], verdict);
    return verdict;
  }

  /**
   * Policy decides about patient data. Directory entries (practitioners, organizations: resources
   * about no patient) stay readable by the staff of the organization that keeps them.
   */
  private async verdict(
    access: Access,
    action: PolicyAction,
    stored: StoredVersion,
    body: SealedBody | undefined,
  ): Promise<Verdict> {
    if (stored.patientKey.startsWith('org:')) {
      const decision = decideDirectoryRead(access.principal, stored);
      return decision.permit ? { permit: true, obligations: [] } : decision;
    }
    const decision = await this.policy.decide(access, action, { kind: 'stored', stored, body });
    if (!decision.permit) return denialOf(decision);
    return unmetObligation(decision.obligations) ?? { permit: true, obligations: decision.obligations };
  }

  /**
   * The items of a page the principal may see, as the obligations release them: rows are decided,
   * opened and released in order until `wanted` are (or the rows run out). The others looked at
   * are left out (a search shows what may be seen) and recorded as refused, with their reasons.
   * `consumed` counts the rows looked at: those after it were not decided, and a next page starts
   * with them.
   */
  private async releasePage<T>(
    access: Access,
    action: string,
    rows: readonly StoredVersion[],
    release: (body: SealedBody, obligations: readonly Obligation[]) => Promise<T | undefined>,
    wanted = rows.length,
  ): Promise<{ released: { row: StoredVersion; out: T }[]; consumed: number }> {
    const out: { row: StoredVersion; out: T }[] = [];
    const refused: { about: StoredVersion; code: string }[] = [];
    const marks = [];
    // A page of one patient's Observations is usually one decision, made once.
    const decided = new Map<string, Verdict>();
    let consumed = 0;
    for (const row of rows) {
      if (out.length >= wanted) break;
      consumed++;
      const body = new SealedBody(this.records, row);
      const key = this.policy.decisionKey(row);
      let verdict = key === undefined ? undefined : decided.get(key);
      if (verdict === undefined) {
        verdict = await this.verdict(access, 'search', row, body);
        if (key !== undefined) decided.set(key, verdict);
      }
      if (!verdict.permit) {
        refused.push({ about: row, code: verdict.code });
        continue;
      }
      const item = await release(body, verdict.obligations);
      if (item === undefined) refused.push({ about: row, code: REDACTED.code });
      else {
        out.push({ row, out: item });
        marks.push(auditMarks(verdict.obligations));
      }
    }
    if (refused.length > 0) await this.recorder.denials(access, action, refused);
    await this.recorder.read(
      access,
      action,
      out.map((o) => o.row),
      mergeMarks(marks),
    );
    return { released: out, consumed };
  }

  private async writer(access: Access, audited: string, resourceType: string): Promise<WriteContext> {
    const decision = await this.policy.decide(access, 'write', { kind: 'new', resourceType });
    if (!decision.permit) await this.deny(access, audited, [], denialOf(decision));
    return { tenant: this.records.tenant, orgId: access.principal.orgId };
  }

  private async recordWrite(access: Access, changes: readonly BundleChange[]): Promise<void> {
    await this.recorder.writes(access, changes);
    const patients = changes.some((c) => c.reference.startsWith('Patient/'));
    // A new Encounter or Patient may make a care relationship: ask the records again.
    if (patients || changes.some((c) => c.reference.startsWith('Encounter/'))) this.care.forget();
    // A Patient may be linked to the same person's records elsewhere (the patient index): their
    // own records and their consent then reach it at once.
    if (patients) {
      this.own.forget();
      this.consent?.patientsChanged();
    }
  }

  private async deny(
    access: Access,
    action: string,
    about: readonly About[],
    denial: Denial,
  ): Promise<never> {
    await this.recorder.denial(access, action, about, denial.code);
    throw forbidden(denial.reason, {
      zh: denial.zh,
      hint: hintFor(denial.code),
      extensions: { reason: denial.code },
    });
  }

  private async readEntry(access: Access, entry: ReadEntry, baseUrl: string): Promise<EntryResult> {
    if (entry.op === 'read') {
      const { json, version } = await this.read(
        access,
        entry.resourceType,
        entry.id,
        entry.versionId === undefined ? undefined : Number(entry.versionId),
      );
      return {
        status: 200,
        resourceType: version.resourceType,
        id: version.id,
        versionId: String(version.version),
        lastModified: version.lastUpdated,
        resource: JSON.parse(json.toString('utf8')) as FhirResource,
      };
    }
    const { matches, total, hasMore, nextOffset } = await this.search(access, entry.search);
    const { search } = entry;
    return {
      status: 200,
      resource: searchsetBundle({
        baseUrl,
        search,
        matches: matches.map((m) => JSON.parse(m.json.toString('utf8')) as FhirResource),
        ...(total === undefined ? {} : { total }),
        ...(hasMore ? { next: { offset: nextOffset } } : {}),
      }),
    };
  }
}

const change = (
  operation: BundleChange['operation'],
  outcome: { resourceType: string; id: string; patientKey: string },
): BundleChange => ({
  operation,
  reference: `${outcome.resourceType}/${outcome.id}`,
  patientKey: outcome.patientKey,
});

/** A policy refusal as guard answers it: the reason code and the person's messages. */
const denialOf = (decision: Extract<PolicyDecision, { permit: false }>): Denial => ({
  permit: false,
  code: decision.code,
  reason: decision.en,
  zh: decision.zh,
});

const notKnown = (type: string, id: string, version?: number) =>
  new CustodiaError(
    'not-found',
    version === undefined ? `${type}/${id} is not known` : `${type}/${id} has no version ${version}`,
    {
      zh: version === undefined ? `未找到 ${type}/${id}` : `${type}/${id} 没有第 ${version} 版`,
      hint: 'check the type and id',
    },
  );

const deleted = (type: string, id: string) =>
  new CustodiaError('gone', `${type}/${id} was deleted`, {
    zh: `${type}/${id} 已被删除`,
    hint: 'its earlier versions remain in its _history',
  });
