import { hash, verify } from '@node-rs/argon2';
import { badRequest } from '../core/index.js';

// argon2id with OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane): about 30 ms here.
const PARAMS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export function checkPasswordStrength(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`, {
      zh: `密码至少需要 ${MIN_PASSWORD_LENGTH} 个字符`,
      path: 'password',
    });
  }
}

export const hashPassword = (password: string): Promise<string> => hash(password, PARAMS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification, so that an unknown username cannot be told from a
 * wrong password by how long the answer takes.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword('not-a-real-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}
