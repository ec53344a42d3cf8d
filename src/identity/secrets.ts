import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { uuidv7 } from '../core/index.js';

/**
 * Opaque credentials (refresh tokens, API keys) look like `<prefix>_<id>.<secret>`: the id finds
 * the row, the secret is compared with its stored SHA-256. A 256-bit random secret needs no slow
 * hash; storing only the hash means a database leak hands out no usable credential.
 */
export interface OpaqueCredential {
  id: string;
  secret: string;
  token: string;
}

export function newOpaqueCredential(prefix: string): OpaqueCredential {
  const id = uuidv7();
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${prefix}_${id}.${secret}` };
}

export function parseOpaqueCredential(
  prefix: string,
  token: string,
): { id: string; secret: string } | undefined {
  if (!token.startsWith(`${prefix}_`)) return undefined;
  const body = token.slice(prefix.length + 1);
  const dot = body.indexOf('.');
  if (dot <= 0 || dot === body.length - 1) return undefined;
  return { id: body.slice(0, dot), secret: body.slice(dot + 1) };
}

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(storedHash);
  return a.length === b.length && timingSafeEqual(a, b);
}
