/**
 * A log's origin is its name for ever: checkpoints are signed under it, and witnesses and clients
 * know the log's key by it (the note key's name and hash). The first signed checkpoint settles
 * it; a later configuration that names another would start what looks like a different log,
 * and every earlier checkpoint would be passed over when the log is opened or verified.
 */
import { CustodiaError } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { LedgerTables } from './schema.js';

export interface OriginWanted {
  tenantId: string;
  /** The origin configured. */
  origin: string;
  /**
   * The configured origin is only the default (derived from the public URL, which moves with a
   * host or port): a log already signed under another origin keeps that one. Otherwise a
   * different configured origin is refused.
   */
  originIsDefault?: boolean;
}

/** The origin a tenant's log signs under: the one of its first checkpoint, or the configured one for a new log. */
export async function settledOrigin(store: Store, wanted: OriginWanted): Promise<string> {
  const first = await store
    .tables<LedgerTables>()
    .selectFrom('ledger_checkpoint')
    .select('origin')
    .where('tenant_id', '=', wanted.tenantId)
    .orderBy('size')
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (first === undefined || first.origin === wanted.origin || wanted.originIsDefault) {
    return first?.origin ?? wanted.origin;
  }
  throw new CustodiaError(
    'invalid-config',
    `the audit ledger signs its checkpoints as ${first.origin}, not ${wanted.origin}: a log keeps its origin for ever (witnesses know its key by it)`,
    {
      zh: `审计账本的检查点以来源 ${first.origin} 签名，而非 ${wanted.origin}：账本来源一经签名不可更改（见证方据此识别其公钥）`,
      hint: `set ledgerOrigin (CUSTODIA_LEDGER_ORIGIN) to ${first.origin}`,
    },
  );
}
