import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustodiaError, systemClock, type Clock, type TenantId } from '../core/index.js';
import { lengthPrefixed } from './bytes.js';
import { deriveFromRoot } from './derive.js';
import { integrityError } from './errors.js';
import { atomicWriteFile, fileStamp, withFileLock } from './files.js';
import type {
  KeyProvider,
  SigningKey,
  SubkeyPurpose,
  UnwrapRequest,
  VerificationKey,
  WrappedKey,
  WrapRequest,
} from './key-provider.js';
import { newEd25519Pkcs8, signingKeyFromPkcs8 } from './signing-keys.js';

export const VAULT_KEYRING_FILE = 'vault-keyring.json';

export interface VaultTransitOptions {
  /** e.g. `https://vault.example.org:8200` */
  address: string;
  token: string;
  /** Vault Enterprise namespace (X-Vault-Namespace). */
  namespace?: string | undefined;
  /** Where the transit engine is mounted; default `transit`. */
  mount?: string;
  /** Prefix of the transit key names Custodia uses; default `custodia-`. */
  keyPrefix?: string;
  /** Holds `vault-keyring.json`: derivation roots and signing keys, each wrapped by Vault. */
  dataDir: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  clock?: Clock;
}

interface SidecarFile {
  format: 'custodia-vault-keyring';
  version: 1;
  /** Per tenant: the HKDF root, a Vault ciphertext under the tenant's transit key. */
  roots: Record<string, string>;
  /** Per name, oldest first: Ed25519 PKCS#8, Vault ciphertexts under the system key. */
  signing: Record<string, { createdAt: number; wrapped: string }[]>;
}

interface BatchResult {
  ciphertext?: string;
  plaintext?: string;
  key_version?: number;
  error?: string;
}

/**
 * HashiCorp Vault Transit as the key provider. Tenant KEKs live in Vault and never leave it:
 * data keys are wrapped by `transit/encrypt`, unwrapped by `transit/decrypt` and re-wrapped by
 * `transit/rewrap` (which never shows us the data key). Tenant keys are *derived* transit keys
 * (`derived: true`): each wrap passes the owner of the data key (tenant, patient, generation) as
 * the derivation context, so a wrapped key copied onto another patient's row does not decrypt.
 *
 * Blind indexes and signatures need key material at memory speed (one HMAC per identifier
 * during ingest, one signature per token), so a Vault round trip each is too slow; Vault's
 * `/hmac` endpoint was considered and rejected for that reason. Instead a random 32-byte
 * derivation root per tenant, and the Ed25519 signing keys, are generated here, wrapped by Vault
 * (roots under the tenant key, signing keys under `<prefix>system`) and kept, as Vault
 * ciphertexts only, in `vault-keyring.json`. Without Vault that file is useless; with it, the
 * process unwraps each once and keeps it in memory. Trade-off: the roots and signing keys exist
 * in process memory (as with the local keyring); Vault-resident signing (`transit/sign`) would
 * avoid that at a round trip per signature. Back up `vault-keyring.json`: losing it changes every
 * blind index and lookup code (they would have to be rebuilt from the sealed data).
 */
export class VaultTransitKeyProvider implements KeyProvider {
  readonly kind = 'vault-transit';
  private readonly base: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly clock: Clock;
  private readonly sidecarPath: string;
  private sidecar: SidecarFile = emptySidecar();
  private sidecarStamp: string | undefined;
  private readonly roots = new Map<string, Promise<Buffer>>();
  private readonly subkeys = new Map<string, Buffer>();
  private readonly signers = new Map<string, Promise<SigningKey>>();
  private readonly ensured = new Set<string>();

  constructor(private readonly options: VaultTransitOptions) {
    this.base = `${options.address.replace(/\/+$/, '')}/v1/${(options.mount ?? 'transit').replace(/^\/+|\/+$/g, '')}`;
    this.prefix = options.keyPrefix ?? 'custodia-';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
    this.clock = options.clock ?? systemClock;
    mkdirSync(options.dataDir, { recursive: true });
    this.sidecarPath = join(options.dataDir, VAULT_KEYRING_FILE);
  }

  async wrap(tenant: TenantId, requests: readonly WrapRequest[]): Promise<WrappedKey[]> {
    if (requests.length === 0) return [];
    const key = await this.tenantKey(tenant);
    const results = await this.batch(`encrypt/${key}`, 'wrap', {
      batch_input: requests.map((r) => ({ plaintext: b64(r.plaintext), context: b64(r.context) })),
    });
    return results.map((r) => toWrapped(r.ciphertext));
  }

  async unwrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<Buffer[]> {
    if (requests.length === 0) return [];
    const results = await this.batch(`decrypt/${this.tenantKeyName(tenant)}`, 'unwrap', {
      batch_input: requests.map((r) => ({ ciphertext: fromWrapped(r.key), context: b64(r.context) })),
    });
    return results.map((r) => Buffer.from(r.plaintext ?? '', 'base64'));
  }

  async rewrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<WrappedKey[]> {
    if (requests.length === 0) return [];
    const results = await this.batch(`rewrap/${this.tenantKeyName(tenant)}`, 'rewrap', {
      batch_input: requests.map((r) => ({ ciphertext: fromWrapped(r.key), context: b64(r.context) })),
    });
    return results.map((r) => toWrapped(r.ciphertext));
  }

  async rotateTenantKey(tenant: TenantId): Promise<number> {
    const key = await this.tenantKey(tenant);
    await this.call('POST', `keys/${key}/rotate`, {});
    return this.currentKeyVersion(tenant);
  }

  async currentKeyVersion(tenant: TenantId): Promise<number> {
    const key = await this.tenantKey(tenant);
    const info = (await this.call('GET', `keys/${key}`)) as { data?: { latest_version?: number } };
    const version = info.data?.latest_version;
    if (typeof version !== 'number') throw vaultUnavailable(`Vault returned no latest_version for ${key}`);
    return version;
  }

  async retireKeyVersionsBelow(tenant: TenantId, minVersion: number): Promise<void> {
    const key = await this.tenantKey(tenant);
    if (minVersion > (await this.currentKeyVersion(tenant)))
      throw new CustodiaError(
        'bad-request',
        `cannot retire key versions up to ${minVersion - 1}: rotate first`,
        {
          hint: 'rotate the tenant key, re-wrap, then retire the versions below the new one',
          zh: '不能停用当前正在使用的密钥版本',
        },
      );
    // The tenant's derivation root is wrapped under this key too: move it to the newest version
    // first, or retiring would strand every blind index.
    await this.mutateSidecar(async (s) => {
      const wrapped = s.roots[tenant];
      if (!wrapped) return;
      const [r] = await this.batch(`rewrap/${key}`, 'rewrap', {
        batch_input: [{ ciphertext: wrapped, context: b64(rootContext(tenant)) }],
      });
      s.roots[tenant] = r!.ciphertext!;
    });
    await this.call('POST', `keys/${key}/config`, { min_decryption_version: minVersion });
  }

  async deriveSubkey(tenant: TenantId, purpose: SubkeyPurpose): Promise<Buffer> {
    const cacheKey = `${tenant}\u0000${purpose}`;
    const cached = this.subkeys.get(cacheKey);
    if (cached) return cached;
    const subkey = deriveFromRoot(await this.root(tenant), tenant, purpose);
    this.subkeys.set(cacheKey, subkey);
    return subkey;
  }

  async signingKey(name: string): Promise<SigningKey> {
    this.refreshSidecar();
    let list = this.sidecar.signing[name];
    if (!list?.length) {
      const pkcs8 = newEd25519Pkcs8();
      const wrapped = await this.wrapSystem(name, pkcs8);
      await this.mutateSidecar((s) => {
        if (!s.signing[name]?.length) s.signing[name] = [{ createdAt: this.clock.now(), wrapped }];
      });
      list = this.sidecar.signing[name]!;
    }
    return this.signer(name, list[list.length - 1]!);
  }

  async verificationKeys(name: string): Promise<VerificationKey[]> {
    this.refreshSidecar();
    const keys = await Promise.all((this.sidecar.signing[name] ?? []).map((r) => this.signer(name, r)));
    return keys.map(({ kid, createdAt, publicKey }) => ({ name, kid, createdAt, publicKey })).reverse();
  }

  async rotateSigningKey(name: string): Promise<SigningKey> {
    const record = { createdAt: this.clock.now(), wrapped: await this.wrapSystem(name, newEd25519Pkcs8()) };
    await this.mutateSidecar((s) => {
      (s.signing[name] ??= []).push(record);
    });
    return this.signer(name, record);
  }

  // --- keys in Vault -------------------------------------------------------------------------

  /** Transit key names allow [A-Za-z0-9_.-]; other tenant ids are hashed into one. */
  private tenantKeyName(tenant: TenantId): string {
    const safe = /^[A-Za-z0-9_.-]{1,64}$/.test(tenant)
      ? tenant
      : `h${createHash('sha256').update(tenant).digest('hex').slice(0, 32)}`;
    return `${this.prefix}tenant-${safe}`;
  }

  /** The tenant's transit key, created (derived AES-256-GCM) on first use. */
  private async tenantKey(tenant: TenantId): Promise<string> {
    const name = this.tenantKeyName(tenant);
    await this.ensureKey(name);
    return name;
  }

  private async ensureKey(name: string): Promise<void> {
    if (this.ensured.has(name)) return;
    // Creating a key that exists changes nothing in Vault (it answers with a warning).
    await this.call('POST', `keys/${name}`, { type: 'aes256-gcm96', derived: true });
    this.ensured.add(name);
  }

  private async wrapSystem(name: string, pkcs8: Buffer): Promise<string> {
    const key = `${this.prefix}system`;
    await this.ensureKey(key);
    const [r] = await this.batch(`encrypt/${key}`, 'wrap', {
      batch_input: [{ plaintext: b64(pkcs8), context: b64(signingContext(name)) }],
    });
    pkcs8.fill(0);
    return r!.ciphertext!;
  }

  private signer(name: string, record: { createdAt: number; wrapped: string }): Promise<SigningKey> {
    let signer = this.signers.get(record.wrapped);
    if (!signer) {
      signer = this.batch(`decrypt/${this.prefix}system`, 'unwrap', {
        batch_input: [{ ciphertext: record.wrapped, context: b64(signingContext(name)) }],
      }).then(([r]) => signingKeyFromPkcs8(name, Buffer.from(r!.plaintext!, 'base64'), record.createdAt));
      signer.catch(() => this.signers.delete(record.wrapped));
      this.signers.set(record.wrapped, signer);
    }
    return signer;
  }

  private root(tenant: TenantId): Promise<Buffer> {
    let root = this.roots.get(tenant);
    if (!root) {
      root = this.loadOrCreateRoot(tenant);
      root.catch(() => this.roots.delete(tenant));
      this.roots.set(tenant, root);
    }
    return root;
  }

  private async loadOrCreateRoot(tenant: TenantId): Promise<Buffer> {
    const key = await this.tenantKey(tenant);
    this.refreshSidecar();
    if (!this.sidecar.roots[tenant]) {
      const fresh = randomBytes(32);
      const [r] = await this.batch(`encrypt/${key}`, 'wrap', {
        batch_input: [{ plaintext: b64(fresh), context: b64(rootContext(tenant)) }],
      });
      fresh.fill(0);
      // Another process may have created the root meanwhile: the first one written wins.
      await this.mutateSidecar((s) => {
        s.roots[tenant] ??= r!.ciphertext!;
      });
    }
    const [r] = await this.batch(`decrypt/${key}`, 'unwrap', {
      batch_input: [{ ciphertext: this.sidecar.roots[tenant]!, context: b64(rootContext(tenant)) }],
    });
    return Buffer.from(r!.plaintext!, 'base64');
  }

  // --- the sidecar file ----------------------------------------------------------------------

  private refreshSidecar(): void {
    const stamp = fileStamp(this.sidecarPath);
    if (stamp === this.sidecarStamp) return;
    this.sidecar = stamp === undefined ? emptySidecar() : parseSidecar(this.sidecarPath);
    this.sidecarStamp = stamp;
  }

  private mutateSidecar(change: (s: SidecarFile) => void | Promise<void>): Promise<void> {
    return withFileLock(`${this.sidecarPath}.lock`, async () => {
      this.sidecar = existsSync(this.sidecarPath) ? parseSidecar(this.sidecarPath) : emptySidecar();
      await change(this.sidecar);
      atomicWriteFile(this.sidecarPath, `${JSON.stringify(this.sidecar, null, 2)}\n`, 0o600);
      this.sidecarStamp = fileStamp(this.sidecarPath);
    });
  }

  // --- HTTP ----------------------------------------------------------------------------------

  private async batch(path: string, what: string, body: { batch_input: object[] }): Promise<BatchResult[]> {
    const response = (await this.call('POST', path, body, what)) as {
      data?: { batch_results?: BatchResult[] };
    };
    const results = response.data?.batch_results;
    if (!Array.isArray(results) || results.length !== body.batch_input.length)
      throw vaultUnavailable(`Vault answered ${path} without one result per input`);
    for (const r of results) if (r.error) throw mapVaultError(400, [r.error], what, undefined);
    return results;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: object, what = 'call'): Promise<unknown> {
    const headers: Record<string, string> = { 'X-Vault-Token': this.options.token };
    if (this.options.namespace) headers['X-Vault-Namespace'] = this.options.namespace;
    if (body) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(`${this.base}/${path}`, {
        method,
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw vaultUnavailable(`Vault at ${this.options.address} does not answer`, 5, cause);
    }
    const text = await response.text();
    if (response.ok) return text === '' ? {} : (JSON.parse(text) as unknown);
    let errors: string[] = [];
    try {
      // Vault reports failed batch items inside data.batch_results, other failures in errors.
      const parsed = JSON.parse(text) as { errors?: unknown[]; data?: { batch_results?: BatchResult[] } };
      errors = [
        ...(parsed.errors ?? []).map(String),
        ...(parsed.data?.batch_results ?? []).flatMap((r) => (r.error ? [r.error] : [])),
      ];
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw mapVaultError(
      response.status,
      errors,
      what,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}

function mapVaultError(
  status: number,
  errors: string[],
  what: string,
  retryAfter: number | undefined,
): CustodiaError {
  const detail = errors.join('; ') || `HTTP ${status}`;
  if (/message authentication failed|invalid ciphertext|unable to decode ciphertext/i.test(detail))
    return integrityError(`a wrapped key (Vault ${what})`);
  if (/disallowed by policy|too old/i.test(detail))
    return new CustodiaError(
      'gone',
      `the key version that wrapped this key was retired in Vault (${detail})`,
      {
        hint: 're-wrap data keys before raising min_decryption_version',
        zh: 'Vault 中包装该密钥的版本已停用，无法解封',
      },
    );
  if (status === 403 || status === 401)
    return vaultUnavailable(
      `Vault refused the ${what} (${detail})`,
      30,
      undefined,
      'check that the Vault token is valid, not expired, and that its policy allows the transit paths Custodia uses',
    );
  return vaultUnavailable(`Vault failed the ${what}: ${detail}`, retryAfter ?? 5);
}

function vaultUnavailable(message: string, retryAfter = 5, cause?: unknown, hint?: string): CustodiaError {
  return new CustodiaError('unavailable', message, {
    hint: hint ?? 'Vault is down, sealed or overloaded; requests needing keys fail until it answers again',
    zh: '密钥服务（Vault）暂不可用，请稍后重试',
    retryAfter,
    cause,
  });
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const rootContext = (tenant: TenantId) => lengthPrefixed('custodia.derivation-root.v1', [tenant]);
const signingContext = (name: string) => lengthPrefixed('custodia.signing-key.v1', [name]);
const emptySidecar = (): SidecarFile => ({
  format: 'custodia-vault-keyring',
  version: 1,
  roots: {},
  signing: {},
});

function parseSidecar(path: string): SidecarFile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as SidecarFile;
  if (parsed.format !== 'custodia-vault-keyring' || parsed.version !== 1)
    throw integrityError(`the Vault keyring ${path}`);
  return parsed;
}

/** We store Vault's `vault:vN:…` ciphertext as it is; N is the KEK version. */
function toWrapped(ciphertext: string | undefined): WrappedKey {
  const match = /^vault:v(\d+):/.exec(ciphertext ?? '');
  if (!match) throw vaultUnavailable('Vault returned a ciphertext without a vault:vN: prefix');
  return { kekVersion: Number(match[1]), wrapped: Buffer.from(ciphertext!, 'utf8') };
}

function fromWrapped(key: WrappedKey): string {
  const text = Buffer.from(key.wrapped).toString('utf8');
  if (!text.startsWith(`vault:v${key.kekVersion}:`)) throw integrityError('a Vault-wrapped data key');
  return text;
}
