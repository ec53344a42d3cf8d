import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustodiaError, systemClock, type Clock, type TenantId } from '../core/index.js';
import { gcmOpen, gcmSeal } from './aead.js';
import { lengthPrefixed } from './bytes.js';
import { deriveFromRoot } from './derive.js';
import { integrityError, invalidKeyConfig } from './errors.js';
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
import { resolveMasterKey, type MasterKey } from './master-key.js';
import { newEd25519Pkcs8, signingKeyFromPkcs8 } from './signing-keys.js';

export const KEYRING_FILE = 'keyring.json';
export const MASTER_KEY_FILE = 'master.key';

export interface LocalKeyringOptions {
  /** The data directory: holds keyring.json and, by default, master.key. */
  dataDir: string;
  /** The master key itself; otherwise CUSTODIA_MASTER_KEY, otherwise the master-key file. */
  masterKey?: Uint8Array | undefined;
  env?: Record<string, string | undefined>;
  /** Default `<dataDir>/master.key`; keep it off the data volume (and out of its backups) in production. */
  masterKeyFile?: string | undefined;
  clock?: Clock;
}

interface KekRecord {
  version: number;
  key: string;
  createdAt: number;
}
interface TenantRecord {
  keks: KekRecord[];
  /** HKDF input for blind indexes and tokens: never rotated, or every index would change. */
  root: string;
  createdAt: number;
}
interface SigningRecord {
  pkcs8: string;
  createdAt: number;
}
interface KeyringContents {
  tenants: Record<string, TenantRecord>;
  /** Oldest first; the last is current. */
  signing: Record<string, SigningRecord[]>;
}

/** The file on disk: everything secret is inside `sealed`, under the master key. */
interface KeyringFile {
  format: 'custodia-keyring';
  version: 1;
  masterKeyId: string;
  sealed: string;
}

const FILE_AAD = lengthPrefixed('custodia.keyring.v1', []);

/**
 * The default key provider: per-tenant key-encryption keys (with versions), derivation roots and
 * signing keys in one file in the data directory, sealed with AES-256-GCM under a master key
 * that lives elsewhere (CUSTODIA_MASTER_KEY, or a 0600 master-key file). Tenant keys are made on
 * first use. Every change re-reads the file under a lock file and replaces it atomically, so the
 * server and the CLI can share it; a process notices the other's changes by the file's stamp.
 */
export class LocalKeyring implements KeyProvider {
  readonly kind = 'local-keyring';
  private contents: KeyringContents = { tenants: {}, signing: {} };
  private stamp: string | undefined;
  private readonly keks = new Map<string, Map<number, Buffer>>();
  private readonly subkeys = new Map<string, Buffer>();
  private readonly signers = new Map<string, SigningKey>();

  private constructor(
    readonly path: string,
    private readonly master: MasterKey,
    private readonly clock: Clock,
  ) {}

  static async open(options: LocalKeyringOptions): Promise<LocalKeyring> {
    mkdirSync(options.dataDir, { recursive: true });
    const path = join(options.dataDir, KEYRING_FILE);
    const master = resolveMasterKey({
      masterKey: options.masterKey,
      ...(options.env ? { env: options.env } : {}),
      masterKeyFile: options.masterKeyFile ?? join(options.dataDir, MASTER_KEY_FILE),
      createIfMissing: !existsSync(path),
    });
    const keyring = new LocalKeyring(path, master, options.clock ?? systemClock);
    if (existsSync(path)) keyring.load();
    else await keyring.mutate(() => undefined);
    return keyring;
  }

  /** Where the master key came from: for the startup log ('created-file' deserves a warning to back it up). */
  get masterKeySource(): MasterKey['source'] {
    return this.master.source;
  }

  async wrap(tenant: TenantId, requests: readonly WrapRequest[]): Promise<WrappedKey[]> {
    this.refreshIfChanged();
    const record = await this.tenant(tenant);
    const current = record.keks[record.keks.length - 1]!;
    const kek = this.kek(tenant, current.version)!;
    return requests.map((r) => ({
      kekVersion: current.version,
      wrapped: gcmSeal(kek, r.plaintext, wrapAad(tenant, current.version, r.context)),
    }));
  }

  async unwrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<Buffer[]> {
    return requests.map((r) => {
      const kek = this.kekForUnwrap(tenant, r.key.kekVersion);
      return gcmOpen(kek, r.key.wrapped, wrapAad(tenant, r.key.kekVersion, r.context), 'a wrapped data key');
    });
  }

  async rewrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<WrappedKey[]> {
    const plain = await this.unwrap(tenant, requests);
    try {
      return await this.wrap(
        tenant,
        plain.map((plaintext, i) => ({ plaintext, context: requests[i]!.context })),
      );
    } finally {
      for (const p of plain) p.fill(0);
    }
  }

  async rotateTenantKey(tenant: TenantId): Promise<number> {
    await this.tenant(tenant);
    return this.mutate((c) => {
      const record = c.tenants[tenant]!;
      const version = record.keks[record.keks.length - 1]!.version + 1;
      record.keks.push({ version, key: randomBytes(32).toString('base64'), createdAt: this.clock.now() });
      return version;
    });
  }

  async currentKeyVersion(tenant: TenantId): Promise<number> {
    this.refreshIfChanged();
    const record = await this.tenant(tenant);
    return record.keks[record.keks.length - 1]!.version;
  }

  async retireKeyVersionsBelow(tenant: TenantId, minVersion: number): Promise<void> {
    await this.tenant(tenant);
    await this.mutate((c) => {
      const record = c.tenants[tenant]!;
      const current = record.keks[record.keks.length - 1]!.version;
      if (minVersion > current)
        throw new CustodiaError(
          'bad-request',
          `cannot retire key version ${current}: it is the current one`,
          {
            hint: 'rotate the tenant key first, re-wrap, then retire the versions below the new one',
            zh: '不能停用当前正在使用的密钥版本',
          },
        );
      record.keks = record.keks.filter((k) => k.version >= minVersion);
    });
    this.keks.delete(tenant);
  }

  async deriveSubkey(tenant: TenantId, purpose: SubkeyPurpose): Promise<Buffer> {
    const cacheKey = `${tenant}\u0000${purpose}`;
    const cached = this.subkeys.get(cacheKey);
    if (cached) return cached;
    const record = await this.tenant(tenant);
    const subkey = deriveFromRoot(Buffer.from(record.root, 'base64'), tenant, purpose);
    this.subkeys.set(cacheKey, subkey);
    return subkey;
  }

  async signingKey(name: string): Promise<SigningKey> {
    this.refreshIfChanged();
    let list = this.contents.signing[name];
    if (!list || list.length === 0) {
      await this.mutate((c) => {
        if (!c.signing[name]?.length)
          c.signing[name] = [{ pkcs8: newEd25519Pkcs8().toString('base64'), createdAt: this.clock.now() }];
      });
      list = this.contents.signing[name]!;
    }
    return this.signer(name, list[list.length - 1]!);
  }

  async verificationKeys(name: string): Promise<VerificationKey[]> {
    this.refreshIfChanged();
    return (this.contents.signing[name] ?? [])
      .map((r): VerificationKey => {
        const { kid, createdAt, publicKey } = this.signer(name, r);
        return { name, kid, createdAt, publicKey };
      })
      .reverse();
  }

  async rotateSigningKey(name: string): Promise<SigningKey> {
    const record = await this.mutate((c) => {
      const r = { pkcs8: newEd25519Pkcs8().toString('base64'), createdAt: this.clock.now() };
      (c.signing[name] ??= []).push(r);
      return r;
    });
    return this.signer(name, record);
  }

  private signer(name: string, record: SigningRecord): SigningKey {
    let key = this.signers.get(record.pkcs8);
    if (!key) {
      key = signingKeyFromPkcs8(name, Buffer.from(record.pkcs8, 'base64'), record.createdAt);
      this.signers.set(record.pkcs8, key);
    }
    return key;
  }

  private async tenant(tenant: TenantId): Promise<TenantRecord> {
    const found = this.contents.tenants[tenant];
    if (found) return found;
    this.refreshIfChanged();
    return (
      this.contents.tenants[tenant] ??
      this.mutate((c) => {
        c.tenants[tenant] ??= {
          keks: [{ version: 1, key: randomBytes(32).toString('base64'), createdAt: this.clock.now() }],
          root: randomBytes(32).toString('base64'),
          createdAt: this.clock.now(),
        };
        return c.tenants[tenant];
      })
    );
  }

  private kek(tenant: TenantId, version: number): Buffer | undefined {
    let versions = this.keks.get(tenant);
    if (!versions) {
      versions = new Map(
        (this.contents.tenants[tenant]?.keks ?? []).map((k) => [k.version, Buffer.from(k.key, 'base64')]),
      );
      this.keks.set(tenant, versions);
    }
    return versions.get(version);
  }

  private kekForUnwrap(tenant: TenantId, version: number): Buffer {
    const known = this.kek(tenant, version);
    if (known) return known;
    // Another process (`custodia keys rotate`) may have added the version since we read the file.
    this.refreshIfChanged();
    const after = this.kek(tenant, version);
    if (after) return after;
    const record = this.contents.tenants[tenant];
    if (!record)
      throw invalidKeyConfig(
        `the keyring ${this.path} holds no key for tenant ${tenant}`,
        'the data was written with another keyring: point the server at the data directory and master key it was written with',
        `密钥环中没有租户 ${tenant} 的密钥：数据可能由另一个密钥环写入`,
      );
    if (version < record.keks[0]!.version)
      throw new CustodiaError('gone', `tenant key version ${version} of ${tenant} was retired`, {
        hint: 'data keys wrapped under retired versions cannot be unwrapped; re-wrap before retiring versions',
        zh: `租户密钥版本 ${version} 已停用，无法解封`,
      });
    throw integrityError(`a wrapped data key naming unknown key version ${version}`);
  }

  private refreshIfChanged(): void {
    if (fileStamp(this.path) !== this.stamp) this.load();
  }

  private load(): void {
    const stamp = fileStamp(this.path);
    const text = readFileSync(this.path, 'utf8');
    let file: KeyringFile;
    try {
      file = JSON.parse(text) as KeyringFile;
    } catch (cause) {
      throw integrityError(`the keyring ${this.path}`, cause);
    }
    if (file.format !== 'custodia-keyring' || file.version !== 1 || typeof file.sealed !== 'string')
      throw integrityError(`the keyring ${this.path}`);
    if (file.masterKeyId !== this.master.id)
      throw invalidKeyConfig(
        `the keyring ${this.path} is sealed under master key ${file.masterKeyId}, not the given ${this.master.id}`,
        'supply the master key this keyring was created with (CUSTODIA_MASTER_KEY or the master-key file)',
        `密钥环由另一主密钥（${file.masterKeyId}）加密，当前主密钥为 ${this.master.id}`,
      );
    const plain = gcmOpen(
      this.master.key,
      Buffer.from(file.sealed, 'base64'),
      FILE_AAD,
      `the keyring ${this.path}`,
    );
    this.contents = JSON.parse(plain.toString('utf8')) as KeyringContents;
    plain.fill(0);
    this.stamp = stamp;
    this.keks.clear();
  }

  private save(): void {
    const plain = Buffer.from(JSON.stringify(this.contents));
    const file: KeyringFile = {
      format: 'custodia-keyring',
      version: 1,
      masterKeyId: this.master.id,
      sealed: gcmSeal(this.master.key, plain, FILE_AAD).toString('base64'),
    };
    plain.fill(0);
    atomicWriteFile(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    this.stamp = fileStamp(this.path);
    this.keks.clear();
  }

  /** Read, change and write the keyring under the lock, so concurrent processes never lose a key. */
  private mutate<T>(change: (contents: KeyringContents) => T): Promise<T> {
    return withFileLock(`${this.path}.lock`, () => {
      if (existsSync(this.path)) this.load();
      const result = change(this.contents);
      this.save();
      return result;
    });
  }
}

/** The wrapped data key is bound to its tenant, the KEK version and its owner (patient, generation). */
const wrapAad = (tenant: TenantId, version: number, context: Uint8Array) =>
  Buffer.concat([lengthPrefixed('custodia.wrap.v1', [tenant, version]), context]);
