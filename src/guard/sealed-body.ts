import type { JsonObject } from '../deid/index.js';
import type { Records, StoredVersion } from '../records/index.js';

interface Coding {
  system?: string;
  code?: string;
}

/**
 * A stored resource's body, decrypted at most once and parsed at most once, however many steps of
 * the pipeline look at it (consent's labels, the policy's labels, the obligations). Opening is not
 * releasing: nothing leaves guard before the decision permits it.
 */
export class SealedBody {
  private bytesPromise: Promise<Buffer> | undefined;
  private parsed: JsonObject | undefined;

  constructor(
    private readonly records: Records,
    readonly stored: StoredVersion,
  ) {}

  bytes(): Promise<Buffer> {
    this.bytesPromise ??= this.records.open(this.stored);
    return this.bytesPromise;
  }

  async json(): Promise<JsonObject> {
    this.parsed ??= JSON.parse((await this.bytes()).toString('utf8')) as JsonObject;
    return this.parsed;
  }

  /** Its `meta.security` codings. */
  async labels(): Promise<Coding[]> {
    const meta = (await this.json()).meta;
    if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return [];
    const security = meta.security;
    return Array.isArray(security) ? (security as Coding[]) : [];
  }
}
