import { createHmac } from 'node:crypto';
import { badRequest, isValidResidentId, type TenantId } from '../core/index.js';
import type { KeyProvider } from './key-provider.js';
import { formatLookupCode, type LookupCode } from './lookup-code.js';
import {
  INDEX_KINDS,
  nameTokens,
  normalizeForIndex,
  normalizeIdentifier,
  type HumanNameParts,
  type IndexKind,
} from './normalize.js';

/**
 * Bytes of HMAC-SHA-256 kept in a blind index. 16 bytes (128 bits) make an accidental collision
 * between two different values practically impossible (birthday bound ~2^64 values per tenant and
 * kind) while keeping the index column short; truncating costs nothing in secrecy, since the
 * whole 32 bytes would reveal no more than 16 do.
 *
 * What a blind index leaks, by design: equality. Within one tenant and kind, rows with the same
 * normalized value carry the same index, so someone with the database sees which records share a
 * phone number or a surname, and how often each occurs (frequency analysis: the index of 王 is
 * common). Without the tenant's key they cannot test a guess, and indexes of different tenants
 * or kinds are unrelated.
 */
export const BLIND_INDEX_BYTES = 16;

/** Identifiers strong enough to link one person across institutions. */
export const STRONG_IDENTIFIER_KINDS = [
  'resident-id',
  'passport',
  'hk-macao-permit',
  'taiwan-permit',
  'foreign-permanent-residence',
  'us-ssn',
] as const;
export type StrongIdentifierKind = (typeof STRONG_IDENTIFIER_KINDS)[number];

/**
 * Keyed search tokens for one tenant, with its subkeys derived once: every method is synchronous
 * and costs one HMAC, fit for ingest loops.
 */
export class TenantIndexer {
  private constructor(
    readonly tenant: TenantId,
    private readonly indexKeys: ReadonlyMap<IndexKind, Buffer>,
    private readonly patientIndexKey: Buffer,
    private readonly sourceIdKey: Buffer,
  ) {}

  static async create(keys: KeyProvider, tenant: TenantId): Promise<TenantIndexer> {
    const entries = await Promise.all(
      INDEX_KINDS.map(
        async (kind) => [kind, await keys.deriveSubkey(tenant, `blind-index:${kind}`)] as const,
      ),
    );
    return new TenantIndexer(
      tenant,
      new Map(entries),
      await keys.deriveSubkey(tenant, 'patient-index'),
      await keys.deriveSubkey(tenant, 'blind-index:source-id'),
    );
  }

  /** The blind index of a value: base64url of the truncated HMAC of its normalized form. */
  index(kind: IndexKind, value: string): string {
    const normalized = normalizeForIndex(kind, value);
    if (normalized === '')
      throw badRequest(`nothing to search for: the ${kind} is empty once normalized`, {
        hint: 'give a value with at least one letter or digit',
        zh: '检索值为空（规范化后无有效字符）',
      });
    return createHmac('sha256', this.indexKeys.get(kind)!)
      .update(normalized)
      .digest()
      .subarray(0, BLIND_INDEX_BYTES)
      .toString('base64url');
  }

  /**
   * The keyed token of the id a sender gave a resource, exactly as given (no normalization: two
   * ids that differ in case are two resources). Senders often use a medical record number as the
   * id, so it is stored only in this form.
   */
  sourceIdToken(scope: string, id: string): string {
    return createHmac('sha256', this.sourceIdKey)
      .update(`${scope}\u0000${id}`)
      .digest()
      .subarray(0, BLIND_INDEX_BYTES)
      .toString('base64url');
  }

  /** Blind indexes of every searchable token of a name (see `nameTokens`). */
  nameIndexes(name: string | HumanNameParts): string[] {
    return nameTokens(name).map((token) => this.index('name', token));
  }

  /**
   * The unified lookup code (统一调阅编码) of a person: a keyed token of a strong identifier under
   * the tenant's (region's) patient-index key, the same at every institution of the tenant so
   * two hospitals' records of one person link to one index entry. One-way: it reveals nothing
   * of the identifier, and without the key no one can compute it from a guessed identifier.
   * Passports and permits should be given with their issuing country, e.g. `CN:E12345678`.
   */
  lookupCode(kind: StrongIdentifierKind, value: string): LookupCode {
    const normalized = normalizeIdentifier(value);
    if (kind === 'resident-id' && !isValidResidentId(normalized))
      throw badRequest('not a valid resident ID (公民身份号码): wrong length, date or check character', {
        hint: 'a resident ID has 17 digits and a check character (0-9 or X) per GB 11643; check it for typos',
        zh: '公民身份号码无效：位数、出生日期或校验码错误',
      });
    if (normalized === '')
      throw badRequest(`the ${kind} is empty`, { zh: '证件号码为空', hint: 'give the identifier value' });
    const mac = createHmac('sha256', this.patientIndexKey)
      .update(`custodia.patient-index.v1\u0000${kind}\u0000${normalized}`)
      .digest();
    return formatLookupCode(mac);
  }
}

/** Per-tenant indexers, made once per tenant: `await blindIndexer.forTenant(t)` then call synchronously. */
export class BlindIndexer {
  private readonly tenants = new Map<TenantId, Promise<TenantIndexer>>();

  constructor(private readonly keys: KeyProvider) {}

  forTenant(tenant: TenantId): Promise<TenantIndexer> {
    let indexer = this.tenants.get(tenant);
    if (!indexer) {
      indexer = TenantIndexer.create(this.keys, tenant);
      indexer.catch(() => this.tenants.delete(tenant));
      this.tenants.set(tenant, indexer);
    }
    return indexer;
  }

  async blindIndex(tenant: TenantId, kind: IndexKind, value: string): Promise<string> {
    return (await this.forTenant(tenant)).index(kind, value);
  }

  async patientIndexToken(tenant: TenantId, kind: StrongIdentifierKind, value: string): Promise<LookupCode> {
    return (await this.forTenant(tenant)).lookupCode(kind, value);
  }
}
