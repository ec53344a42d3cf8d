import type { Clock } from '../core/index.js';
import type { ConsentAuditEvent } from '../consent/index.js';
import type { Ledger } from '../ledger/index.js';
import { entryFor, type AuditTokens } from './audit.js';

/**
 * Where the consent module's events enter the ledger: consent changes, refused attempts on
 * another patient's consent, complaints. Patients appear as the same keyed tokens guard's reads
 * use, so "who accessed my data" and "what happened to my consent" are one query on one token.
 * Each entry is durable before the caller answers.
 */
export class ConsentGate {
  constructor(
    private readonly ledger: Ledger,
    private readonly tokens: Pick<AuditTokens, 'patients'>,
    private readonly clock: Clock,
  ) {}

  /** The `ConsentAudit` callback the consent service is opened with. */
  readonly record = async (event: ConsentAuditEvent): Promise<void> => {
    const access = { principal: event.actor.principal, requestId: event.actor.requestId };
    const common = {
      action: event.action,
      targets: this.tokens.patients(event.patients),
      ...(event.reason === undefined ? {} : { reason: event.reason }),
      ...(event.resources === undefined ? {} : { resources: [...event.resources] }),
    };
    const fields =
      event.kind === 'access-decision'
        ? { kind: 'access-decision' as const, decision: event.decision, ...common }
        : { kind: event.kind, decision: event.decision, ...common };
    await this.ledger.append(entryFor(access, fields, this.clock.now()));
  };
}
