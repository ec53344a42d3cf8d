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
  type ImportResult,
  type ReadEntry,
  type Records,
  type StoredVersion,
  type WriteContext,
  type WriteOutcome,
} from '../records/index.js';
import type { ConsentDecision, ConsentService } from '../consent/index.js';
import { AuditTokens, entryFor, type Access } from './audit.js';
import { ConsentCheck } from './consent-check.js';
import {
  decideErase,
  decideRead,
  decideWrite,
  readableOrganizations,
  type Denial,
  type DenyCode,
} from './decision.js';

export interface GuardOptions {
  records: Records;
  ledger: Ledger;
  keys: KeyProvider;
  /** Patients' dynamic consent, asked before each resource about a patient is released. */
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
 * THE enforcement pipeline: every path to clinical data passes here. Each call authorizes
 * (decide on metadata, before anything is decrypted) → fetches → opens (decrypts) → records in
 * the ledger (durably, before the caller answers) → returns. A denial is recorded too.
 */
export class Guard {
  private constructor(
    private readonly records: Records,
    private readonly ledger: Ledger,
    private readonly tokens: AuditTokens,
    private readonly clock: Clock,
    private readonly consent: ConsentCheck | undefined,
  ) {}

  static async create(options: GuardOptions): Promise<Guard> {
    const tokens = await AuditTokens.create(options.keys, options.tenant);
    const consent = options.consent && new ConsentCheck(options.consent, options.clock);
    return new Guard(options.records, options.ledger, tokens, options.clock, consent);
  }

  /** The keyed token under which a patient appears in the ledger. */
  patientToken(patientKey: string) {
    return this.tokens.patient(patientKey);
  }

  // Reads.

  async read(access: Access, type: string, id: string, versionId?: number): Promise<ReadResource> {
    const action = versionId === undefined ? `${type}.read` : `${type}.vread`;
    const stored =
      versionId === undefined
        ? await this.records.current(type, id)
        : await this.records.version(type, id, versionId);
    if (!stored) throw notKnown(type, id, versionId);
    await this.authorize(access, action, stored);
    if (stored.method === 'DELETE' || !stored.sealed) {
      await this.recordRead(access, action, [stored]);
      throw deleted(type, id);
    }
    const json = await this.records.open(stored);
    await this.requireConsent(access, action, stored, json);
    await this.recordRead(access, action, [stored]);
    return { json, version: stored };
  }

  async history(access: Access, type: string, id: string, page: Page) {
    const found = await this.records.history(type, id, page);
    if (!found) throw notKnown(type, id);
    await this.authorize(access, `${type}.history`, found.current);
    const versions = await Promise.all(
      found.versions.map(async (v) => ({ version: v, resource: v.sealed ? await this.parse(v) : undefined })),
    );
    const current = versions.find((v) => v.resource !== undefined)?.resource;
    if (current) await this.requireConsent(access, `${type}.history`, found.current, current);
    await this.recordRead(access, `${type}.history`, found.versions);
    return { total: found.total, versions };
  }

  /** A page of a search: the matches as their stored JSON (see `searchsetJson`). */
  async search(access: Access, search: ParsedSearch) {
    const scope = { orgIds: this.scopeOf(access) };
    const found = await this.records.search(search, scope);
    const opened = await Promise.all(
      found.rows.map(async (r) => ({ row: r, json: await this.records.open(r) })),
    );
    const action = `${search.resourceType}.search`;
    const released = await this.withholdUnconsented(access, action, opened, (o) => o.json);
    await this.recordRead(
      access,
      action,
      released.map((o) => o.row),
    );
    const matches: RawResource[] = released.map(({ row, json }) => ({
      resourceType: row.resourceType,
      id: row.id,
      json,
    }));
    // A total counted before consent withheld some matches would count what the caller cannot see.
    const total = released.length === opened.length ? found.total : undefined;
    return { matches, total, hasMore: found.hasMore };
  }

  /** `Patient/{id}/$everything`: the patient's compartment, as far as the principal may see it. */
  async everything(access: Access, patientId: string, page: Page) {
    const patient = await this.records.current('Patient', patientId);
    if (!patient) throw notKnown('Patient', patientId);
    await this.authorize(access, 'Patient.everything', patient);
    if (patient.method === 'DELETE') throw deleted('Patient', patientId);
    const scope = access.principal.roles.includes('patient') ? {} : { orgIds: this.scopeOf(access) };
    const { rows, total } = await this.records.compartment(patientId, scope, page);
    const parsed = await Promise.all(rows.map(async (r) => ({ row: r, resource: await this.parse(r) })));
    const released = await this.withholdUnconsented(access, 'Patient.everything', parsed, (p) => p.resource);
    await this.recordRead(
      access,
      'Patient.everything',
      released.map((p) => p.row),
    );
    return { resources: released.map((p) => p.resource), total: total - (parsed.length - released.length) };
  }

  /** The patient index: which Patient records (that the principal may see) share a strong identifier. */
  async linkedPatients(access: Access, kind: StrongIdentifierKind, value: string) {
    const code = this.records.lookupCode(kind, value);
    const links = await this.records.linkedPatients(code);
    const visible = new Set(this.scopeOf(access));
    await this.recordRead(
      access,
      'Patient.lookup',
      links.map((l) => ({ resourceType: 'Patient', id: l.patientId, patientKey: l.patientId })),
    );
    return {
      lookupCode: code,
      // Links to other organizations' records are shown (that a record exists is what the index
      // is for); their contents stay behind each record's own read decision.
      patients: links.map((l) => ({ ...l, readable: visible.has(l.orgId) })),
    };
  }

  // Writes.

  async create(
    access: Access,
    type: string,
    body: unknown,
    ifNoneExist?: ParsedSearch,
  ): Promise<WriteOutcome> {
    const ctx = await this.writer(access, `${type}.create`);
    const outcome = await this.records.create(ctx, type, body, ifNoneExist);
    if (outcome.resource) await this.recordWrite(access, [change('create', outcome)]);
    return outcome;
  }

  async update(access: Access, type: string, id: string, body: unknown, ifMatch?: string) {
    const ctx = await this.writer(access, `${type}.update`);
    const outcome = await this.records.update(ctx, type, id, body, ifMatch);
    await this.recordWrite(access, [change('update', outcome)]);
    return outcome;
  }

  async delete(access: Access, type: string, id: string, ifMatch?: string) {
    const ctx = await this.writer(access, `${type}.delete`);
    const outcome = await this.records.delete(ctx, type, id, ifMatch);
    if (outcome.versionId !== undefined) await this.recordWrite(access, [change('delete', outcome)]);
    return outcome;
  }

  /** A transaction or batch: its writes as the principal's organization, its reads guarded one by one. */
  async bundle(access: Access, body: unknown, options: { baseUrl: string; maxEntries?: number }) {
    const ctx = await this.writer(access, 'Bundle.process');
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
    const ctx = await this.writer(access, 'import');
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
    const decision = decideErase(access.principal, patient);
    if (!decision.permit) await this.deny(access, 'Patient.erase', [patient], decision);
    const result = await this.records.erasePatient(patientId);
    await this.ledger.append(
      entryFor(
        access,
        {
          kind: 'key-operation',
          action: 'Patient.erase',
          targets: this.tokens.patients([patientId]),
          decision: 'permit',
          resources: [`Patient/${patientId}`],
        },
        this.clock.now(),
      ),
    );
    return result;
  }

  async rotateKeys(access: Access, onProgress?: (p: RewrapProgress) => void): Promise<RewrapReport> {
    if (!access.principal.roles.includes('admin'))
      throw forbidden('only an administrator may rotate keys', { zh: '只有管理员可以轮换密钥' });
    const report = await this.records.rotateKeys(onProgress);
    await this.ledger.append(
      entryFor(
        access,
        { kind: 'key-operation', action: 'keys.rotate', targets: [], decision: 'permit' },
        this.clock.now(),
      ),
    );
    return report;
  }

  // The pipeline's steps.

  /** A read the patient's consent refuses is denied (403) and recorded as such. */
  private async requireConsent(
    access: Access,
    action: string,
    stored: StoredVersion,
    resource: Buffer | FhirResource,
  ): Promise<void> {
    const decision = await this.consent?.decide(access, stored, resource);
    if (decision && !decision.permit) await this.deny(access, action, [stored], consentDenial(decision));
  }

  /**
   * The items of a page the patients' consent allows; the rest are left out (a search shows what
   * may be seen, as it does for other organizations' records) and recorded as denied.
   */
  private async withholdUnconsented<T extends { row: StoredVersion }>(
    access: Access,
    action: string,
    items: readonly T[],
    body: (item: T) => Buffer | FhirResource,
  ): Promise<T[]> {
    if (!this.consent) return [...items];
    const released: T[] = [];
    const withheld: T[] = [];
    for (const item of items) {
      const decision = await this.consent.decide(access, item.row, body(item));
      (decision && !decision.permit ? withheld : released).push(item);
    }
    if (withheld.length > 0)
      await this.recordDenial(
        access,
        action,
        withheld.map((w) => w.row),
        'consent-denied',
      );
    return released;
  }

  private scopeOf(access: Access): readonly string[] {
    return readableOrganizations(access.principal);
  }

  private async authorize(access: Access, action: string, stored: StoredVersion): Promise<void> {
    const decision = decideRead(access.principal, stored);
    if (!decision.permit) await this.deny(access, action, [stored], decision);
  }

  private async writer(access: Access, action: string): Promise<WriteContext> {
    const decision = decideWrite(access.principal);
    if (!decision.permit) await this.deny(access, action, [], decision);
    return { tenant: this.records.tenant, orgId: access.principal.orgId };
  }

  private async deny(
    access: Access,
    action: string,
    about: readonly Pick<StoredVersion, 'resourceType' | 'id' | 'patientKey'>[],
    denial: Denial,
  ): Promise<never> {
    await this.recordDenial(access, action, about, denial.code);
    throw forbidden(denial.reason, {
      zh: denial.zh,
      hint: 'ask the organization that holds the record, or an administrator',
    });
  }

  private async recordDenial(
    access: Access,
    action: string,
    about: readonly Pick<StoredVersion, 'resourceType' | 'id' | 'patientKey'>[],
    code: DenyCode,
  ): Promise<void> {
    await this.ledger.append(
      entryFor(
        access,
        {
          kind: 'access-decision',
          action,
          decision: 'deny',
          reason: code,
          targets: this.tokens.patients(about.map((s) => s.patientKey)),
          resources: about.map((s) => `${s.resourceType}/${s.id}`),
        },
        this.clock.now(),
      ),
    );
  }

  private async recordRead(
    access: Access,
    action: string,
    about: readonly Pick<StoredVersion, 'resourceType' | 'id' | 'patientKey'>[],
  ): Promise<void> {
    await this.ledger.append(
      entryFor(
        access,
        {
          kind: 'read',
          action,
          decision: 'permit',
          targets: this.tokens.patients(about.map((s) => s.patientKey)),
          resources: [...new Set(about.map((s) => `${s.resourceType}/${s.id}`))],
        },
        this.clock.now(),
      ),
    );
  }

  /** One ledger write entry per kind of change (creates, updates, deletes), durable before the answer. */
  private async recordWrite(access: Access, changes: readonly BundleChange[]): Promise<void> {
    for (const operation of ['create', 'update', 'delete'] as const) {
      const done = changes.filter((c) => c.operation === operation);
      if (done.length === 0) continue;
      await this.ledger.append(
        entryFor(
          access,
          {
            kind: 'write',
            operation,
            action: operation,
            decision: 'permit',
            targets: this.tokens.patients(done.map((c) => c.patientKey)),
            resources: done.map((c) => c.reference),
          },
          this.clock.now(),
        ),
      );
    }
  }

  private async parse(v: StoredVersion): Promise<FhirResource> {
    return JSON.parse((await this.records.open(v)).toString('utf8')) as FhirResource;
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
    const { matches, total, hasMore } = await this.search(access, entry.search);
    const { search } = entry;
    return {
      status: 200,
      resource: searchsetBundle({
        baseUrl,
        search,
        matches: matches.map((m) => JSON.parse(m.json.toString('utf8')) as FhirResource),
        ...(total === undefined ? {} : { total }),
        ...(hasMore ? { next: { offset: search.offset + search.count } } : {}),
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

const consentDenial = (decision: ConsentDecision): Denial => ({
  permit: false,
  code: 'consent-denied',
  reason: `the patient's consent does not allow this use: ${decision.reason}`,
  zh: `患者的同意不允许此用途：${decision.zh}`,
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
