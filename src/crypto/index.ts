export type {
  KeyProvider,
  SigningKey,
  SubkeyPurpose,
  UnwrapRequest,
  VerificationKey,
  WrappedKey,
  WrapRequest,
} from './key-provider.js';
export { LocalKeyring, KEYRING_FILE, MASTER_KEY_FILE, type LocalKeyringOptions } from './local-keyring.js';
export { MASTER_KEY_ENV, masterKeyId } from './master-key.js';
export {
  PatientCipher,
  type PatientCipherOptions,
  type RewrapProgress,
  type RewrapReport,
} from './patient-cipher.js';
export { CIPHERTEXT_OVERHEAD, CIPHERTEXT_V1, resourceAad, type SealContext } from './envelope.js';
export { cryptoMigrations, type CryptoTables } from './migrations.js';
export {
  BlindIndexer,
  TenantIndexer,
  BLIND_INDEX_BYTES,
  STRONG_IDENTIFIER_KINDS,
  type StrongIdentifierKind,
} from './blind-index.js';
export { formatLookupCode, parseLookupCode, type LookupCode } from './lookup-code.js';
export {
  INDEX_KINDS,
  nameTokens,
  normalizeForIndex,
  normalizeIdentifier,
  normalizeName,
  normalizePhone,
  type HumanNameParts,
  type IdentifierKind,
  type IndexKind,
} from './normalize.js';
export { jwks, publicJwk, signEd25519, verifyEd25519 } from './signing.js';
export { ed25519Thumbprint } from './signing-keys.js';
export { VaultTransitKeyProvider, VAULT_KEYRING_FILE, type VaultTransitOptions } from './vault-transit.js';
