import { CustodiaError } from '../core/index.js';

/**
 * De-identification errors. Bad profiles and inputs are the caller's to fix, so they are
 * `bad-request`s that name the key, column or value at fault, in English and Chinese.
 */
export function deidError(message: string, zh: string, details: { path?: string; hint?: string } = {}) {
  return new CustodiaError('bad-request', message, { zh, ...details });
}
