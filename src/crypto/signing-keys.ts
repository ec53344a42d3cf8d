import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { SigningKey } from './key-provider.js';

/** A fresh Ed25519 private key as PKCS#8 DER: the form keyrings store. */
export function newEd25519Pkcs8(): Buffer {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'der', type: 'pkcs8' });
}

export function signingKeyFromPkcs8(name: string, pkcs8: Uint8Array, createdAt: number): SigningKey {
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError(`signing key ${name} is not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { name, kid: ed25519Thumbprint(publicKey), createdAt, privateKey, publicKey };
}

/**
 * RFC 7638 JWK thumbprint of an Ed25519 public key (RFC 8037 members, in lexicographic order):
 * a key id that anyone holding the public key can recompute.
 */
export function ed25519Thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}
