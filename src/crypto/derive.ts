import { hkdfSync } from 'node:crypto';
import type { TenantId } from '../core/index.js';
import { lengthPrefixed } from './bytes.js';
import type { SubkeyPurpose } from './key-provider.js';

const SALT = Buffer.from('custodia.subkey.v1');

/**
 * HKDF-SHA-256 (RFC 5869) from a tenant's derivation root to a purpose's subkey. The info field
 * binds tenant and purpose with a length-prefixed encoding, so no two (tenant, purpose) pairs
 * share a key and a blind index of one kind says nothing about another kind or tenant.
 */
export function deriveFromRoot(root: Uint8Array, tenant: TenantId, purpose: SubkeyPurpose): Buffer {
  const info = lengthPrefixed('custodia.subkey.v1', [tenant, purpose]);
  return Buffer.from(hkdfSync('sha256', root, SALT, info, 32));
}
