import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { parseKey32 } from './bytes.js';
import { invalidKeyConfig } from './errors.js';

export const MASTER_KEY_ENV = 'CUSTODIA_MASTER_KEY';

export interface MasterKeyOptions {
  /** The key itself (tests, embedding): wins over the environment and the file. */
  masterKey?: Uint8Array | undefined;
  /** Where to look for CUSTODIA_MASTER_KEY; default process.env. */
  env?: Record<string, string | undefined>;
  /** The master-key file: 32 bytes as base64 or hex. */
  masterKeyFile: string;
  /** Create the file (0600) when no key is found: only right when no keyring exists yet. */
  createIfMissing: boolean;
}

export interface MasterKey {
  readonly key: Buffer;
  readonly source: 'option' | 'env' | 'file' | 'created-file';
  /** A short public fingerprint, so errors can say which master key a keyring needs. */
  readonly id: string;
}

export function masterKeyId(key: Uint8Array): string {
  return createHmac('sha256', key).update('custodia.master-key-id.v1').digest('hex').slice(0, 16);
}

/** Finds the master key: option, then CUSTODIA_MASTER_KEY, then the master-key file. */
export function resolveMasterKey(options: MasterKeyOptions): MasterKey {
  const make = (key: Buffer, source: MasterKey['source']): MasterKey => ({
    key,
    source,
    id: masterKeyId(key),
  });
  if (options.masterKey) {
    if (options.masterKey.length !== 32)
      throw invalidKeyConfig(
        'the master key must be 32 bytes',
        'pass 32 random bytes',
        '主密钥必须为 32 字节',
      );
    return make(Buffer.from(options.masterKey), 'option');
  }
  const fromEnv = (options.env ?? process.env)[MASTER_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = parseKey32(fromEnv);
    if (!key)
      throw invalidKeyConfig(
        `${MASTER_KEY_ENV} is not a 32-byte key`,
        `set ${MASTER_KEY_ENV} to 32 random bytes as 64 hex digits or base64, e.g. \`openssl rand -base64 32\``,
        `${MASTER_KEY_ENV} 不是 32 字节的密钥（应为 64 位十六进制或 base64）`,
      );
    return make(key, 'env');
  }
  const file = options.masterKeyFile;
  if (existsSync(file)) return make(readMasterKeyFile(file), 'file');
  if (!options.createIfMissing)
    throw invalidKeyConfig(
      `no master key: ${MASTER_KEY_ENV} is unset and ${file} does not exist, but a keyring does`,
      `restore the master-key file from your key backup, or set ${MASTER_KEY_ENV}; a new master key cannot read the existing keyring`,
      `缺少主密钥：未设置 ${MASTER_KEY_ENV}，且 ${file} 不存在，但密钥环已存在；请从备份恢复主密钥`,
    );
  return createMasterKeyFile(file);
}

function readMasterKeyFile(file: string): Buffer {
  // Like ssh with private keys: a master key that others can read is not a secret any more.
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0)
    throw invalidKeyConfig(
      `the master-key file ${file} is readable by other users`,
      `run \`chmod 600 ${file}\` (and consider rotating keys if others may have read it)`,
      `主密钥文件 ${file} 权限过宽，请执行 chmod 600`,
    );
  const key = parseKey32(readFileSync(file, 'utf8'));
  if (!key)
    throw invalidKeyConfig(
      `the master-key file ${file} does not hold a 32-byte key`,
      'restore it from your key backup; it holds 32 bytes as base64 or 64 hex digits',
      `主密钥文件 ${file} 内容无效，请从备份恢复`,
    );
  return key;
}

function createMasterKeyFile(file: string): MasterKey {
  const key = randomBytes(32);
  let fd: number;
  try {
    // 'wx': if another process created it a moment ago, use theirs rather than overwrite it.
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return { key: readMasterKeyFile(file), source: 'file', id: masterKeyId(readMasterKeyFile(file)) };
    throw e;
  }
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
  } finally {
    closeSync(fd);
  }
  return { key, source: 'created-file', id: masterKeyId(key) };
}
