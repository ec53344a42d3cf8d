import type { KeyObject } from 'node:crypto';
import type { TenantId } from '../core/index.js';

/** A data key wrapped under one version of a tenant's key-encryption key. Opaque bytes. */
export interface WrappedKey {
  readonly kekVersion: number;
  readonly wrapped: Uint8Array;
}

/** What a wrapped key belongs to: bound as associated data so a wrapped key cannot be moved. */
export interface WrapRequest {
  readonly plaintext: Uint8Array;
  /** Canonical encoding of the owner of the key (tenant, patient, generation). */
  readonly context: Uint8Array;
}

export interface UnwrapRequest {
  readonly key: WrappedKey;
  readonly context: Uint8Array;
}

/** The purposes subkeys are derived for; a new purpose gets a key unrelated to every other one. */
export type SubkeyPurpose = `blind-index:${string}` | 'patient-index' | `pseudonym:${string}`;

/** The public half of an Ed25519 signing key; `kid` is its RFC 7638 JWK thumbprint. */
export interface VerificationKey {
  readonly name: string;
  readonly kid: string;
  readonly createdAt: number;
  readonly publicKey: KeyObject;
}

export interface SigningKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

/**
 * Where keys live. Data keys never leave the caller unwrapped except in memory; tenant
 * key-encryption keys (KEKs) never leave the provider. Two implementations: `LocalKeyring`
 * (a keyring file under a master key, the default) and `VaultTransitKeyProvider`.
 */
export interface KeyProvider {
  readonly kind: 'local-keyring' | 'vault-transit';

  /** Wraps data keys under the tenant's newest KEK version, creating the tenant's KEK on first use. */
  wrap(tenant: TenantId, requests: readonly WrapRequest[]): Promise<WrappedKey[]>;
  /** Unwraps under whichever KEK version wrapped them; throws 'integrity' if a key was altered. */
  unwrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<Buffer[]>;
  /** Re-wraps under the newest KEK version (Vault does so without revealing the data keys). */
  rewrap(tenant: TenantId, requests: readonly UnwrapRequest[]): Promise<WrappedKey[]>;
  /** Adds a KEK version that new wraps use; old versions keep unwrapping. Returns the new version. */
  rotateTenantKey(tenant: TenantId): Promise<number>;
  /** The version new wraps use (creating the tenant's KEK on first use). */
  currentKeyVersion(tenant: TenantId): Promise<number>;
  /**
   * Stops unwrapping under versions below `minVersion`: run after every data key is re-wrapped,
   * so that copies of wrapped keys in old backups become unreadable (completes crypto-shredding).
   */
  retireKeyVersionsBelow(tenant: TenantId, minVersion: number): Promise<void>;

  /** A 32-byte subkey for one tenant and purpose (HKDF-SHA-256). Stable across KEK rotation. */
  deriveSubkey(tenant: TenantId, purpose: SubkeyPurpose): Promise<Buffer>;

  /** The current Ed25519 signing key of that name, created on first use. */
  signingKey(name: string): Promise<SigningKey>;
  /** Every key of that name, newest first: publish these so signatures made before a rotation verify. */
  verificationKeys(name: string): Promise<VerificationKey[]>;
  /** Adds a new signing key of that name and makes it current. */
  rotateSigningKey(name: string): Promise<SigningKey>;
}
