import type { TenantId } from '../core/index.js';
import { gcmOpen, gcmSeal, NONCE_BYTES, TAG_BYTES } from './aead.js';
import { lengthPrefixed } from './bytes.js';
import { integrityError } from './errors.js';

/**
 * Which resource a ciphertext belongs to. All of it is authenticated as associated data, so a
 * sealed body copied onto another row (another tenant, patient, resource or version) fails to open.
 */
export interface SealContext {
  readonly tenant: TenantId;
  /** Whose data key seals the body: the patient's key name (for resources about nobody, a tenant-wide name). */
  readonly patient: string;
  readonly resourceType: string;
  readonly id: string;
  /** The resource version (FHIR versionId). */
  readonly version: string | number;
}

/**
 * Ciphertext format, version 1:
 *
 *   0x01 | key generation (uint32 BE) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The 5-byte header is authenticated together with the associated data, so neither the format
 * byte nor the key generation can be changed without the open failing.
 */
export const CIPHERTEXT_V1 = 0x01;
export const HEADER_BYTES = 5;
export const CIPHERTEXT_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** The canonical associated data of a resource body: length-prefixed, unambiguous. */
export const resourceAad = (ctx: SealContext): Buffer =>
  lengthPrefixed('custodia.resource.v1', [
    ctx.tenant,
    ctx.patient,
    ctx.resourceType,
    ctx.id,
    String(ctx.version),
  ]);

export function sealWithDataKey(
  dataKey: Uint8Array,
  generation: number,
  plaintext: Uint8Array,
  ctx: SealContext,
): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = CIPHERTEXT_V1;
  header.writeUInt32BE(generation, 1);
  return gcmSeal(dataKey, plaintext, resourceAad(ctx), header);
}

/** The data-key generation a ciphertext names; throws 'integrity' if it is not a ciphertext of ours. */
export function ciphertextGeneration(ciphertext: Uint8Array): number {
  if (ciphertext.length < CIPHERTEXT_OVERHEAD || ciphertext[0] !== CIPHERTEXT_V1)
    throw integrityError('a sealed resource');
  return Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength).readUInt32BE(1);
}

export function openWithDataKey(dataKey: Uint8Array, ciphertext: Uint8Array, ctx: SealContext): Buffer {
  ciphertextGeneration(ciphertext);
  return gcmOpen(dataKey, ciphertext, resourceAad(ctx), 'a sealed resource', HEADER_BYTES);
}
