import { createHash } from 'node:crypto';
import { badRequest, forbidden, type Clock, type TenantId } from '../core/index.js';
import type { KeyProvider } from '../crypto/index.js';
import {
  DENY_ALL_GATE,
  sivTokenizer,
  type Actor,
  type ReidentifyEvent,
  type ReidentifyGate,
  type Tokenizer,
} from '../deid/index.js';
import type { Ledger } from '../ledger/index.js';
import { entryFor, type Access } from './audit.js';
import { decideReidentify } from './decision.js';

/** Project names: they become part of key derivations and ledger entries. */
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Most tokens reversed in one call: each is named by its digest in the call's one ledger entry. */
export const MAX_REIDENTIFY_TOKENS = 20;

/** A de-identification project's keys, derived from the tenant's keyring. */
export interface DeidProjectKeys {
  /** The key of one-way HMAC pseudonyms (what a profile's `keys.project` would name). */
  key: Buffer;
  /** The project's reversible tokens; reversing them outside `DeidProjects.reidentify` is refused. */
  tokenizer: Tokenizer;
}

/**
 * De-identification projects of the tenant. Their keys come from the key provider, so nobody
 * handles key files, and reversing a project's tokens (re-identification, 重标识) happens only
 * here: permitted by role and declared purpose, recorded in the ledger before a value is released.
 */
export class DeidProjects {
  constructor(
    private readonly keys: KeyProvider,
    private readonly tenant: TenantId,
    private readonly ledger: Ledger,
    private readonly clock: Clock,
  ) {}

  /** The keys `custodia deid --project` runs with. */
  async keysFor(project: string): Promise<DeidProjectKeys> {
    checkProject(project);
    return {
      key: await this.keys.deriveSubkey(this.tenant, `pseudonym:deid-project:${project}`),
      tokenizer: sivTokenizer(await this.tokensKey(project), DENY_ALL_GATE, project),
    };
  }

  /** Reverses tokens of a project; every attempt, permitted or not, is recorded. */
  async reidentify(access: Access, project: string, tokens: readonly string[]): Promise<string[]> {
    checkProject(project);
    if (tokens.length === 0 || tokens.length > MAX_REIDENTIFY_TOKENS)
      throw badRequest(`give 1 to ${MAX_REIDENTIFY_TOKENS} tokens`, {
        zh: `令牌数量须为 1 至 ${MAX_REIDENTIFY_TOKENS} 个`,
      });
    const purpose = access.purpose ?? access.principal.purposeOfUse ?? undefined;
    const actor: Actor = {
      id: access.principal.userId,
      roles: access.principal.roles,
      ...(purpose ? { purpose } : {}),
    };
    const decision = decideReidentify(access.principal, purpose);
    const gate = this.gate(access, project, decision.reason);
    if (!decision.permit) {
      await gate.record({
        actor,
        tokenizer: project,
        tokenDigests: tokens.map(sha256),
        outcome: 'denied',
        at: this.clock.now(),
      });
      throw forbidden(decision.reason, { zh: decision.zh, extensions: { reason: decision.code } });
    }
    const tokenizer = sivTokenizer(await this.tokensKey(project), gate, project);
    return tokenizer.reidentifyMany(tokens, actor);
  }

  private tokensKey(project: string) {
    return this.keys.deriveSubkey(this.tenant, `pseudonym:deid-tokens:${project}`);
  }

  /** Records each outcome of one call; the tokenizer releases values only after `record` resolved. */
  private gate(access: Access, project: string, reason: string): ReidentifyGate {
    return {
      authorize: () => true,
      record: async (event: ReidentifyEvent) => {
        await this.ledger.append(
          entryFor(
            access,
            {
              kind: 'access-decision',
              action: 'deid.reidentify',
              decision: event.outcome === 'granted' ? 'permit' : 'deny',
              targets: [],
              // Tokens by their SHA-256 digests: whoever holds a token can find its entry, and the
              // ledger holds neither tokens (SIV tokens carry ciphertext) nor values.
              reason: `${event.outcome}: ${reason}; project ${project}; token sha256 ${event.tokenDigests.join(',')}`,
            },
            event.at,
          ),
        );
      },
      now: () => this.clock.now(),
    };
  }
}

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

function checkProject(project: string): void {
  if (!PROJECT.test(project))
    throw badRequest(`"${project}" is not a project name`, {
      zh: `“${project}” 不是有效的项目名称`,
      hint: 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit',
    });
}
