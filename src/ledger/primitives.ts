/**
 * Every cryptographic primitive the ledger uses, in one file: SHA-256 and Ed25519 through
 * node:crypto. A browser build of the stand-alone verifier swaps this file for one backed by a
 * pure-JS implementation (the functions are synchronous on purpose, so WebCrypto's async API
 * would need an async wrapper around the verifier instead).
 */
import {
  createPrivateKey,
  createPublicKey,
  hash,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

/** SHA-256 of one byte string. */
export function sha256(data: Uint8Array): Uint8Array {
  // A latin1 digest copied into a (pooled) Buffer costs a third of asking for a Buffer directly
  // ('binary' is node's name for latin1).
  return Buffer.from(hash('sha256', data, 'binary'), 'latin1');
}

/**
 * SHA-256 as a 32-character latin1 string, one character per byte. The fast path for bulk work
 * (appends, verification): node:crypto returns a short string several times faster than a new
 * Buffer, and a UTF-8 string input is hashed without building a Buffer first. Write the result
 * into a buffer with `buffer.write(digest, offset, 'latin1')`.
 */
export function sha256Latin1(data: Uint8Array | string): string {
  return hash('sha256', data, 'binary');
}

/** SHA-256 of a concatenation, without building it twice. */
export function sha256Concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const joined = Buffer.allocUnsafe(length);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.length;
  }
  return hash('sha256', joined, 'buffer');
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 key pair usable for signing: the private key stays a KeyObject. */
export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Accepts a node:crypto private KeyObject or a raw 32-byte RFC 8032 seed. */
export function ed25519Signer(key: KeyObject | Uint8Array): Ed25519Signer {
  const privateKey =
    key instanceof Uint8Array
      ? createPrivateKey({
          key: Buffer.concat([PKCS8_ED25519_PREFIX, seedOf(key)]),
          format: 'der',
          type: 'pkcs8',
        })
      : key;
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('an Ed25519 private key is required');
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    publicKey,
    sign: (message) => sign(null, message, privateKey),
  };
}

function seedOf(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new TypeError(`an Ed25519 seed is 32 bytes, not ${key.length}`);
  return key;
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

const verifierCache = new Map<string, KeyObject>();

/** Verifies an Ed25519 signature by a raw 32-byte public key; false on any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const id = Buffer.from(publicKey).toString('hex');
  let keyObject = verifierCache.get(id);
  if (!keyObject) {
    keyObject = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    });
    if (verifierCache.size > 1024) verifierCache.clear();
    verifierCache.set(id, keyObject);
  }
  try {
    return verify(null, message, keyObject, signature);
  } catch {
    return false;
  }
}

/** A fresh random Ed25519 seed: for tests, demos and witnesses set up on the spot. */
export const randomSeed = (): Uint8Array => new Uint8Array(randomBytes(32));

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.compare(a, b) === 0;

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Strict standard base64 (RFC 4648 §4): rejects anything that would not round-trip. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

export const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
