export * from './model.js';
export { identityMigrations, type IdentityTables } from './tables.js';
export { Directory, type NewOrganization, type NewUser } from './directory.js';
export { AccessTokens, type SigningKey } from './access-tokens.js';
export {
  Authenticator,
  principalOf,
  type AuthenticatorOptions,
  type LoginOutcome,
  type TokenPair,
} from './authenticator.js';
export { DEFAULT_LOCKOUT, type LockoutPolicy } from './lockout.js';
export { MIN_PASSWORD_LENGTH } from './passwords.js';
