import { sign, verify, type KeyObject } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import type { SigningKey, VerificationKey } from './key-provider.js';

/** Ed25519 signature (RFC 8032) over the bytes; 64 bytes. */
export function signEd25519(key: SigningKey | KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, 'privateKey' in key ? key.privateKey : key);
}

/** False for a wrong signature, key or message; never throws on malformed signatures. */
export function verifyEd25519(
  key: VerificationKey | KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, data, 'publicKey' in key ? key.publicKey : key, signature);
  } catch {
    return false;
  }
}

/** The public JWK (RFC 8037) of a key, with its kid, for EdDSA JWS verification. */
export async function publicJwk(key: VerificationKey): Promise<JWK> {
  const jwk = await exportJWK(key.publicKey);
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: key.kid, alg: 'EdDSA', use: 'sig' } as JWK;
}

/** A JWK Set of the given keys: what `/.well-known/jwks.json` serves. */
export async function jwks(keys: readonly VerificationKey[]): Promise<{ keys: JWK[] }> {
  return { keys: await Promise.all(keys.map(publicJwk)) };
}
