import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytesPooled } from '../core/index.js';
import { integrityError } from './errors.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random 96-bit nonce. Random nonces are safe for up to 2^32 messages per key
 * (NIST SP 800-38D §8.3): per-patient data keys stay many orders of magnitude below that.
 * Returns nonce ‖ ciphertext ‖ tag.
 */
export function gcmSeal(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  prefix?: Uint8Array,
): Buffer {
  const nonce = randomBytesPooled(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  if (prefix) cipher.setAAD(Buffer.concat([prefix, aad]));
  else cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const parts = [nonce, body, final, cipher.getAuthTag()];
  if (prefix) parts.unshift(Buffer.from(prefix));
  return Buffer.concat(parts);
}

/**
 * Opens nonce ‖ ciphertext ‖ tag (starting at `offset`); `authenticatedPrefix` is the bytes
 * before `offset` that were authenticated with the associated data. Throws 'integrity' on any
 * mismatch: GCM's tag check runs before a single byte of plaintext is returned.
 */
export function gcmOpen(
  key: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
  what: string,
  offset = 0,
): Buffer {
  if (sealed.length < offset + NONCE_BYTES + TAG_BYTES) throw integrityError(what);
  const view = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const nonce = view.subarray(offset, offset + NONCE_BYTES);
  const tag = view.subarray(view.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(tag);
    decipher.setAAD(offset > 0 ? Buffer.concat([view.subarray(0, offset), aad]) : aad);
    const body = decipher.update(view.subarray(offset + NONCE_BYTES, view.length - TAG_BYTES));
    const rest = decipher.final();
    // GCM's final() checks the tag and adds no bytes: the body needs no copy to append them to.
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch (cause) {
    throw integrityError(what, cause);
  }
}
