import type { Clock } from '../core/index.js';
import type { Ledger } from '../ledger/index.js';
import type { PolicyAuditNote } from '../policy/index.js';
import type { BundleChange, StoredVersion } from '../records/index.js';
import { entryFor, type Access, type AuditTokens, type EntryFields } from './audit.js';
import { NO_MARKS, type AuditMarks } from './release.js';

/** The request a policy event came with, when it came with one. */
export type RequestIds = Pick<Access, 'requestId' | 'purpose'>;

/** What an entry names: resources as `Type/id`, their patients as keyed tokens. */
export type About = Pick<StoredVersion, 'resourceType' | 'id' | 'patientKey'>;

/**
 * Guard's ledger entries: every release, refusal and change, durable before the caller answers.
 * Patients appear as keyed tokens, resources as references; never a value from a record.
 */
export class Recorder {
  constructor(
    private readonly ledger: Ledger,
    private readonly tokens: AuditTokens,
    private readonly clock: Clock,
  ) {}

  async read(access: Access, action: string, about: readonly About[], marks: AuditMarks = NO_MARKS) {
    await this.append(access, {
      kind: 'read',
      action,
      decision: 'permit',
      targets: this.tokens.patients(about.map((s) => s.patientKey)),
      resources: [...new Set(about.map((s) => `${s.resourceType}/${s.id}`))],
      ...(marks.flags.length === 0 ? {} : { flags: marks.flags }),
      ...(marks.basis.length === 0 ? {} : { reason: marks.basis.join(' ') }),
    });
  }

  async denial(access: Access, action: string, about: readonly About[], code: string) {
    await this.append(access, {
      kind: 'access-decision',
      action,
      decision: 'deny',
      reason: code,
      targets: this.tokens.patients(about.map((s) => s.patientKey)),
      resources: about.map((s) => `${s.resourceType}/${s.id}`),
    });
  }

  /** Refusals of several items at once (a search page), one entry per reason. */
  async denials(access: Access, action: string, refused: readonly { about: About; code: string }[]) {
    const byCode = new Map<string, About[]>();
    for (const { about, code } of refused) byCode.set(code, [...(byCode.get(code) ?? []), about]);
    for (const [code, about] of byCode) await this.denial(access, action, about, code);
  }

  /** One write entry per kind of change (creates, updates, deletes). */
  async writes(access: Access, changes: readonly BundleChange[]) {
    for (const operation of ['create', 'update', 'delete'] as const) {
      const done = changes.filter((c) => c.operation === operation);
      if (done.length === 0) continue;
      await this.append(access, {
        kind: 'write',
        operation,
        action: operation,
        decision: 'permit',
        targets: this.tokens.patients(done.map((c) => c.patientKey)),
        resources: done.map((c) => c.reference),
      });
    }
  }

  async keyOperation(
    access: Access,
    action: string,
    patientKeys: readonly string[],
    resources: string[] = [],
  ) {
    await this.append(access, {
      kind: 'key-operation',
      action,
      decision: 'permit',
      targets: this.tokens.patients(patientKeys),
      ...(resources.length === 0 ? {} : { resources }),
    });
  }

  /** A policy module event: the note names actor, organization and time; patients become tokens. */
  async policyEvent(note: PolicyAuditNote, request: RequestIds) {
    await this.ledger.append({
      kind: note.kind,
      action: note.action,
      actor: note.actor,
      organization: note.organization,
      decision: note.decision,
      reason: note.reason,
      targets: this.tokens.patients(note.patients),
      time: note.time,
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
      ...(request.purpose === undefined ? {} : { purpose: request.purpose }),
    });
  }

  private async append(access: Access, fields: EntryFields) {
    await this.ledger.append(entryFor(access, fields, this.clock.now()));
  }
}
